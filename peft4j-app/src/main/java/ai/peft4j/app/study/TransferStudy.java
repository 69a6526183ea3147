package ai.peft4j.app.study;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.PairTransform;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.AdapterSet;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.Evaluation;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import ai.peft4j.train.metrics.SegmentationScores;
import ai.peft4j.train.report.EfficiencyChart;
import ai.peft4j.train.report.EpochRecord;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pretrains a Swin-Att-UNet on a source data set, then adapts a copy of it to each target data set with each
 * method, and writes the comparison: test mIoU against trainable parameters, as a Markdown table, JSON and a chart.
 */
public final class TransferStudy {
    /**
     * @param unet the model: its backbone and width; the class count comes from each data set
     * @param imageSize side of the square network input
     * @param pretrainEpochs epochs on the source set
     * @param adaptEpochs epochs on each target set, per method
     * @param batchSize images per step
     * @param pretrainLr Adam learning rate for pretraining
     * @param adaptLr Adam learning rate for adaptation, for every method not in {@code methodLr}
     * @param loss the pretraining loss, e.g. {@code ce+dice}
     * @param methods method names (see {@link MethodRegistry})
     * @param seed seeds loaders, initialisation and training
     * @param defectWeight cross-entropy weight of every class but background while adapting (1: unweighted); small
     *     defects on a large background otherwise pull every method to predicting background only
     * @param methodLr learning rates of single methods (few trainable weights usually want a larger step than
     *     full fine-tuning, as HF PEFT's LoRA recipes use)
     * @param adaptLoss the loss while adapting
     * @param bnStats what the base's BatchNorm statistics do while adapting, or null for each method's default
     *     (frozen for parameter-efficient methods, updated by full fine-tuning)
     * @param headFromSource whether a fresh head of another class count starts from the source head (see
     *     {@link #headFromSource}) rather than from the published N(0, 0.02) draw alone
     * @param methodSettings settings of single methods by their file names (e.g. adapter: init identity), over the
     *     method's registered defaults
     * @param evalEvery validate on the test set every this many epochs while adapting (0: after the last epoch
     *     only), for curves that show where a method stops improving
     */
    public record Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
            double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
            Map<String, Double> methodLr, String adaptLoss, BnStats bnStats, boolean headFromSource,
            Map<String, Map<String, String>> methodSettings, int evalEvery) {
        public Settings {
            methodLr = Map.copyOf(methodLr);
            methodSettings = Map.copyOf(methodSettings);
            if (evalEvery < 0) {
                throw new IllegalArgumentException("evaluation period must be 0 (last epoch) or positive, got "
                        + evalEvery);
            }
        }

        /** Settings with each method's own BatchNorm behaviour. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
                Map<String, Double> methodLr, String adaptLoss) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, methodLr, adaptLoss, null, false, Map.of(), 0);
        }

        /** Settings with one adaptation learning rate for every method. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, Map.of(), loss, null, false, Map.of(), 0);
        }

        /** The adaptation learning rate of {@code method}. */
        public double adaptLr(String method) {
            return methodLr.getOrDefault(method, adaptLr);
        }

        /** The settings {@code method} adapts with: its registered defaults with this study's own over them. */
        public Record methodConfig(String method) {
            Map<String, String> own = methodSettings.get(MethodRegistry.methodOf(method));
            return own == null ? MethodRegistry.defaultConfig(method) : MethodRegistry.configWith(method, own);
        }
    }

    /** A data set with its train and test parts. */
    public record Domain(String name, ImageDataset train, ImageDataset test) {}

    /**
     * One method's result on one target. {@code sourceMiou}: test mIoU on the source set of the adapted network
     * under the source head (what an active adapter costs the source task); {@code sourceOffMiou}: the same with the
     * adapter switched off (the base model as it was, if the method keeps its weights apart).
     */
    public record Row(String target, String method, long trainable, long total, double miou, double mpa,
            double sourceMiou, double sourceOffMiou, double seconds) {}

    /**
     * One adapter switched on in a base model that holds several: how long switching took on average, and its
     * test mIoU on its own data set after the switch.
     */
    public record Switch(String target, String method, double micros, double miou) {}

    /** The Swin-Att-UNet's classifier, a 1x1 convolution. */
    private static final String HEAD = "final_conv";

    private final Settings settings;
    private final PrintStream console;
    private final PhaseTimes phases = new PhaseTimes();

    public TransferStudy(Settings settings, PrintStream console) {
        this.settings = settings;
        this.console = console;
    }

    /** Wall and CPU seconds of what this study has run so far. */
    public PhaseTimes phases() {
        return phases;
    }

    /** Runs the study into {@code out} and returns its rows (the first: the pretrained model on its own test set). */
    public List<Row> run(Domain source, List<Domain> targets, Path out) throws IOException {
        return run(source, targets, out, null);
    }

    /**
     * As {@link #run(Domain, List, Path)}, starting from the training checkpoint {@code pretrained} when it is not
     * null instead of pretraining.
     */
    public List<Row> run(Domain source, List<Domain> targets, Path out, Path pretrained) throws IOException {
        // One lock for the study's folder: its run folders resume, and two studies in one folder would mix them.
        try (RunFolderLock lock = RunFolderLock.take(out, console)) {
            return runLocked(source, targets, out, pretrained);
        }
    }

    private List<Row> runLocked(Domain source, List<Domain> targets, Path out, Path pretrained) throws IOException {
        List<Row> rows = new ArrayList<>(List.of(pretrain(source, out, pretrained)));
        Path base = pretrained != null ? pretrained : out.resolve("pretrain").resolve(Trainer.LAST);
        for (Domain target : targets) {
            rows.addAll(adaptLocked(source, target, out, base));
        }
        write(rows, out);
        return rows;
    }

    /**
     * Adapts the base checkpoint {@code base} to {@code target} with every method, into {@code out/<target>}, and
     * returns one row per method. Two calls for two targets may run at once, in two processes: each takes the lock
     * of its own target folder.
     */
    public List<Row> adapt(Domain source, Domain target, Path out, Path base) throws IOException {
        Path dir = ContainedPath.resolve(out, target.name(), "domain name");
        Files.createDirectories(dir);
        try (RunFolderLock lock = RunFolderLock.take(dir, console)) {
            return adaptLocked(source, target, out, base);
        }
    }

    /**
     * Pretrains on {@code source} into {@code out/pretrain}, or scores the checkpoint {@code pretrained} when it is
     * not null, and returns the source row. Runs the study's first phase alone, as a caller that adapts the targets
     * side by side needs it; that caller holds {@code out}'s {@link RunFolderLock}.
     */
    public Row pretrain(Domain source, Path out, Path pretrained) throws IOException {
        if (pretrained == null) {
            console.printf(Locale.ROOT, "== pretraining on %s (%d images, %d epochs)%n", source.name(),
                    source.train().size(), settings.pretrainEpochs());
        } else {
            console.printf(Locale.ROOT, "== starting from %s%n", pretrained);
        }
        long t0 = System.nanoTime();
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(settings.seed());
            SwinAttUNet model = new SwinAttUNet(m, withClasses(source.train().numClasses()));
            SegmentationScores scores;
            double seconds;
            if (pretrained == null) {
                TrainingResult r = phases.time("pretrain " + source.name(), () -> train(model, source,
                        settings.pretrainEpochs(), settings.pretrainLr(), settings.loss(), 1, out.resolve("pretrain")));
                console.printf(Locale.ROOT, "   checkpoint %s%n", r.lastCheckpoint());
                scores = finalScores(r);
                seconds = trainingSeconds(r);
            } else {
                model.loadStateDict(Checkpoint.read(pretrained, m).modelState(), true);
                scores = phases.time("score base on " + source.name(), () -> evaluate(model, source).scores());
                seconds = (System.nanoTime() - t0) / 1e9;
            }
            console.printf(Locale.ROOT, "   source test mIoU %.2f%%%n", 100 * scores.meanIou());
            return row(source.name() + " (source)", "pretrained", model.trainableParameterCount(),
                    model.parameterCount(), scores, scores.meanIou(), scores.meanIou(), seconds);
        }
    }

    private List<Row> adaptLocked(Domain source, Domain target, Path out, Path base) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String name : settings.methods()) {
            console.printf(Locale.ROOT, "== %s on %s (%d images, %d epochs, lr %.1e)%n", name, target.name(),
                    target.train().size(), settings.adaptEpochs(), settings.adaptLr(name));
            Path dir = ContainedPath.resolve(ContainedPath.resolve(out, target.name(), "domain name"), name,
                    "method name");
            try (NDManager m = EngineSetup.newManager()) {
                EngineSetup.seed(settings.seed() + 1);
                SwinAttUNet model = new SwinAttUNet(m, withClasses(source.train().numClasses()));
                Map<String, NDArray> weights = Checkpoint.read(base, m).modelState();
                model.loadStateDict(weights, true);
                PeftMethod method = MethodRegistry.create(MethodRegistry.methodOf(name),
                        settings.methodConfig(name), MethodInputs.prompt(TextPrompt.zeros(48,
                        TextPrompt.BERT_BASE_WIDTH)));
                if (method instanceof SegmenterMethod sm) {
                    sm.withClasses(target.train().numClasses());
                }
                if (settings.bnStats() != null) {
                    method.withBnStats(settings.bnStats());
                }
                Attachment a = method.attach(model);
                if (settings.headFromSource()) {
                    headFromSource(model, weights);
                }
                String phase = target.name() + " " + name;
                TrainingResult r = phases.time(phase + ": training", () -> train(model, target,
                        settings.adaptEpochs(), settings.adaptLr(name), settings.adaptLoss(), settings.defectWeight(),
                        dir, settings.evalEvery()));
                AdapterFiles.save(a, dir.resolve("adapter"));
                long trainable = model.trainableParameterCount();
                long total = model.parameterCount();
                double[] sourceScores = phases.time(phase + ": source scores", () -> {
                    double kept = sourceKept(model, weights, source, m);
                    a.deactivate();
                    return new double[] {kept, evaluate(model, source).scores().meanIou()};
                });
                double kept = sourceScores[0];
                double off = sourceScores[1];
                Row row = row(target.name(), name, trainable, total, finalScores(r), kept, off,
                        trainingSeconds(r));
                rows.add(row);
                console.printf(Locale.ROOT, "   %s: test mIoU %.2f%%, %,d trainable parameters, source test "
                        + "mIoU %.2f%% with the adapter on, %.2f%% off, %.0f s%n", name, 100 * row.miou(),
                        row.trainable(), 100 * row.sourceMiou(), 100 * row.sourceOffMiou(), row.seconds());
            }
        }
        return rows;
    }

    /**
     * Loads {@code method}'s adapter of every target, as the study saved them, onto one copy of the base model and
     * scores each on its target's test set after switching to it, then the base alone on the source's. The switch
     * time is the mean over many switches back and forth, as a service that answers each product line does.
     *
     * @return one entry per target, then the source with every adapter off (method {@code "off"}, micros NaN)
     */
    public List<Switch> switchAdapters(Domain source, List<Domain> targets, Path out, Path pretrained, String method)
            throws IOException {
        Path base = pretrained != null ? pretrained : out.resolve("pretrain").resolve(Trainer.LAST);
        List<Switch> result = new ArrayList<>();
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(m, withClasses(source.train().numClasses()));
            model.loadStateDict(Checkpoint.read(base, m).modelState(), true);
            AdapterSet set = new AdapterSet(model);
            for (Domain t : targets) {
                set.load(t.name(), out.resolve(t.name()).resolve(method).resolve("adapter"), m);
            }
            int rounds = 500;
            long t0 = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                for (Domain t : targets) {
                    set.activate(t.name());
                }
            }
            double micros = (System.nanoTime() - t0) / 1e3 / rounds / targets.size();
            for (Domain t : targets) {
                set.activate(t.name());
                result.add(new Switch(t.name(), method, micros, evaluate(model, t).scores().meanIou()));
            }
            set.deactivateAll();
            result.add(new Switch(source.name(), "off", Double.NaN, evaluate(model, source).scores().meanIou()));
        }
        return result;
    }

    /**
     * Starts a fresh head of another class count from the source head: background from the source's background,
     * every defect class from the mean of the source's defect classes, each plus its own N(0, 0.02) draw to tell
     * them apart. A head from the draw alone scores every class alike, and in a few dozen steps the cheapest way
     * down the loss is to call every pixel background; this one starts out telling defects from background.
     */
    static void headFromSource(SwinAttUNet model, Map<String, NDArray> base) {
        NDArray w = base.get(HEAD + ".weight");
        NDArray b = base.get(HEAD + ".bias");
        if (!(model.module(HEAD) instanceof Conv2d head) || head.outChannels() == w.getShape().get(0)) {
            return;
        }
        long defects = head.outChannels() - 1;
        NDArray weight = w.get("0:1").concat(w.get("1:").mean(new int[] {0}, true).repeat(0, defects), 0);
        NDArray bias = b.get("0:1").concat(b.get("1:").mean(new int[] {0}, true).repeat(0, defects), 0);
        head.weight().replace(weight.add(head.weight().data()));
        head.bias().replace(bias.add(head.bias().data()));
    }

    private SwinAttUNetConfig withClasses(int classes) {
        return new SwinAttUNetConfig(settings.unet().backbone(), classes, settings.unet().base());
    }

    private TrainingResult train(SwinAttUNet model, Domain d, int epochs, double lr, String loss, double defectWeight,
            Path dir) throws IOException {
        return train(model, d, epochs, lr, loss, defectWeight, dir, 0);
    }

    private TrainingResult train(SwinAttUNet model, Domain d, int epochs, double lr, String loss, double defectWeight,
            Path dir, int evalEvery) throws IOException {
        List<Double> weights = new ArrayList<>();
        if (defectWeight != 1) {
            weights.add(1.0);
            for (int c = 1; c < d.train().numClasses(); c++) {
                weights.add(defectWeight);
            }
        }
        TrainerConfig config = TrainerConfig.builder().setEpochs(epochs).setNumClasses(d.train().numClasses())
                .optOptimizer("adam").optLearningRate(lr).optMinLearningRate(lr / 100).optSchedule("cos")
                .optLoss(loss).optClassWeights(weights)
                .optEvalPeriod(evalEvery > 0 ? evalEvery : epochs).optSeed(settings.seed()).build();
        PairTransform t = Letterbox.square(settings.imageSize());
        try (BatchLoader train = new BatchLoader(d.train(), t, LoaderConfig.training(settings.batchSize())
                .withSeed(settings.seed()));
                BatchLoader val = new BatchLoader(d.test(), t, LoaderConfig.evaluation(settings.batchSize()))) {
            Trainer trainer = Trainer.builder().setModel(model).setConfig(config).setTrainData(BatchSource.of(train))
                    .optValidationData(BatchSource.of(val)).setOutputDir(dir).optConsole(console)
                    .optClassNames(d.train().classNames()).build();
            return trainer.fit();
        }
    }

    /** Test metrics of a model that was not trained here (a given base checkpoint). */
    private Evaluation evaluate(SwinAttUNet model, Domain d) {
        try (BatchLoader test = new BatchLoader(d.test(), Letterbox.square(settings.imageSize()),
                LoaderConfig.evaluation(settings.batchSize()))) {
            TrainerConfig config = TrainerConfig.builder().setEpochs(1).setNumClasses(d.test().numClasses()).build();
            Trainer t = Trainer.builder().setModel(model).setConfig(config).setTrainData(BatchSource.of(List.of()))
                    .setOutputDir(Path.of(System.getProperty("java.io.tmpdir"))).optConsole(console).build();
            return t.evaluate(BatchSource.of(test));
        }
    }

    /** The trainer validates on the test set after the last epoch: those are the study's figures. */
    private static SegmentationScores finalScores(TrainingResult r) {
        return r.history().get(r.history().size() - 1).scores();
    }

    private static Row row(String target, String method, long trainable, long total, SegmentationScores s,
            double sourceMiou, double sourceOffMiou, double seconds) {
        return new Row(target, method, trainable, total, s.meanIou(), s.meanRecall(), sourceMiou, sourceOffMiou,
                seconds);
    }

    /** Seconds of training over all epochs, also those of an earlier, resumed invocation. */
    private static double trainingSeconds(TrainingResult r) {
        return r.history().stream().mapToDouble(EpochRecord::seconds).sum();
    }

    /**
     * The adapted network (adapter active, or fully fine-tuned weights) with the base model's own head put back,
     * on the source test set. Methods that leave the base weights alone keep everything once their adapter is
     * switched off; this measures what an active adapter, or full fine-tuning, does to the source task.
     */
    private double sourceKept(SwinAttUNet model, Map<String, NDArray> base, Domain source, NDManager m) {
        NDArray w = base.get(HEAD + ".weight");
        Conv2d head = new Conv2d(m, (int) w.getShape().get(1), (int) w.getShape().get(0), (int) w.getShape().get(2),
                1, (int) w.getShape().get(2) / 2, 1, true);
        head.loadStateDict(Map.of("weight", w, "bias", base.get(HEAD + ".bias")), true);
        Module adapted = model.module(HEAD);
        model.replace(HEAD, head);
        try {
            return evaluate(model, source).scores().meanIou();
        } finally {
            model.replace(HEAD, adapted);
        }
    }

    /** Writes {@code rows} as JSON, every figure at full precision, for {@link #readRows}. */
    public static void writeRows(List<Row> rows, Path file) throws IOException {
        byte[] json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(rows);
        AtomicFiles.write(file, o -> o.write(json));
    }

    /** Reads rows {@link #writeRows} wrote; fails naming the file. */
    public static List<Row> readRows(Path file) throws IOException {
        try {
            return new ObjectMapper().readValue(file.toFile(), new TypeReference<List<Row>>() { });
        } catch (IOException e) {
            throw new IOException(file + ": not a list of study rows (" + e.getMessage() + ")", e);
        }
    }

    /** Writes {@code comparison.md} (the table alone), {@code comparison.json} and {@code comparison.png}. */
    public static void write(List<Row> rows, Path out) throws IOException {
        write(rows, ComparisonTable.of(rows), out);
    }

    /** Writes {@code table} as {@code comparison.md}, and {@code rows} as {@code comparison.json} and the chart. */
    public static void write(List<Row> rows, ComparisonTable table, Path out) throws IOException {
        List<EfficiencyChart.Point> points = new ArrayList<>();
        StringBuilder json = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            json.append(String.format(Locale.ROOT, "  {\"data\": \"%s\", \"method\": \"%s\", \"trainable\": %d, "
                    + "\"total\": %d, \"miou\": %.6f, \"mpa\": %.6f, \"source_miou\": %.6f, "
                    + "\"source_off_miou\": %.6f, \"seconds\": %.1f}%s%n", r.target(), r.method(), r.trainable(),
                    r.total(), r.miou(), r.mpa(), r.sourceMiou(), r.sourceOffMiou(), r.seconds(),
                    i + 1 < rows.size() ? "," : ""));
            if (!r.method().equals("pretrained")) {
                points.add(new EfficiencyChart.Point(r.target(), r.method(), r.trainable(), r.miou()));
            }
        }
        json.append("]\n");
        AtomicFiles.write(out.resolve("comparison.md"), o -> o.write(table.markdown()
                .getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(out.resolve("comparison.json"), o -> o.write(json.toString()
                .getBytes(StandardCharsets.UTF_8)));
        EfficiencyChart.write(out.resolve("comparison.png"), points, "Test mIoU against trainable parameters");
    }
}
