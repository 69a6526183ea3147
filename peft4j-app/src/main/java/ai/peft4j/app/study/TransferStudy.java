package ai.peft4j.app.study;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.ImageSubset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.crop.CropSampler;
import ai.peft4j.data.crop.DefectIndex;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.PairTransform;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.infer.segment.SlidingWindow;
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
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import ai.peft4j.train.metrics.ImageVerdicts;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import ai.peft4j.train.report.EfficiencyChart;
import ai.peft4j.train.report.EpochRecord;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pretrains a Swin-Att-UNet on a source data set, then adapts a copy of it to each target data set with each
 * method, and writes the comparison: test mIoU against trainable parameters, as a Markdown table, JSON and a chart.
 * Images are either letterboxed into one square or, with {@link Crops}, trained on crops at their native resolution
 * and predicted by sliding windows; either way every test image is scored at its own size. The comparison is
 * rewritten after each finished run, and a finished run's row ({@code row.json} in its folder) is read back
 * instead of measured again when the study is given again with the same settings. With several adaptation seeds
 * every method is adapted once per seed from the same base on the same data, each run in a folder of its own.
 */
public final class TransferStudy {
    /**
     * @param unet the model: its backbone and width; the class count comes from each data set
     * @param imageSize side of the square network input when letterboxing
     * @param pretrainEpochs epochs on the source set
     * @param adaptEpochs epochs on each target set, per method
     * @param batchSize images (or crops) per step
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
     * @param crops crops and sliding windows instead of the letterbox, or null
     * @param keptImages source test images (spread evenly) on which the adapted network's source mIoU is measured;
     *     0 for all of them
     * @param methodSettings settings of single methods by their file names (e.g. adapter: init identity), over the
     *     method's registered defaults
     * @param evalEvery validate on the test set every this many epochs while adapting (0: after the last epoch
     *     only), for curves that show where a method stops improving
     * @param bnRecalibrate re-estimate the BatchNorm statistics from this many training batches after training
     *     (and before each validation), for the pretraining and for each method whose base statistics update; 0
     *     for off
     */
    public record Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
            double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
            Map<String, Double> methodLr, String adaptLoss, BnStats bnStats, boolean headFromSource, Crops crops,
            int keptImages, Map<String, Map<String, String>> methodSettings, int evalEvery, int bnRecalibrate) {
        public Settings {
            methodLr = Map.copyOf(methodLr);
            methods = List.copyOf(methods);
            methodSettings = Map.copyOf(methodSettings);
            if (evalEvery < 0) {
                throw new IllegalArgumentException("evaluation period must be 0 (last epoch) or positive, got "
                        + evalEvery);
            }
            if (bnRecalibrate < 0) {
                throw new IllegalArgumentException("BatchNorm recalibration batches must be 0 (off) or positive, got "
                        + bnRecalibrate);
            }
        }

        /** Settings without BatchNorm recalibration. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
                Map<String, Double> methodLr, String adaptLoss, BnStats bnStats, boolean headFromSource, Crops crops,
                int keptImages, Map<String, Map<String, String>> methodSettings, int evalEvery) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, methodLr, adaptLoss, bnStats, headFromSource, crops, keptImages, methodSettings,
                    evalEvery, 0);
        }

        /** Settings with the methods' registered defaults, validated after the last epoch only. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
                Map<String, Double> methodLr, String adaptLoss, BnStats bnStats, boolean headFromSource, Crops crops,
                int keptImages) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, methodLr, adaptLoss, bnStats, headFromSource, crops, keptImages, Map.of(), 0);
        }

        /** Letterboxed settings with each method's own BatchNorm behaviour. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
                Map<String, Double> methodLr, String adaptLoss) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, methodLr, adaptLoss, null, false);
        }

        /** Letterboxed settings with a BatchNorm behaviour and head start of their own. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
                Map<String, Double> methodLr, String adaptLoss, BnStats bnStats, boolean headFromSource) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, methodLr, adaptLoss, bnStats, headFromSource, (Crops) null, 0);
        }

        /** Settings with each method's own BatchNorm behaviour and the published head draw. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight,
                Map<String, Double> methodLr, String adaptLoss, Crops crops, int keptImages) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, methodLr, adaptLoss, null, false, crops, keptImages);
        }

        /** Settings with one adaptation learning rate for every method. */
        public Settings(SwinAttUNetConfig unet, int imageSize, int pretrainEpochs, int adaptEpochs, int batchSize,
                double pretrainLr, double adaptLr, String loss, List<String> methods, long seed, double defectWeight) {
            this(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss, methods, seed,
                    defectWeight, Map.of(), loss, null, false, (Crops) null, 0);
        }

        /** These settings with another seed: only the randomness of training changes, not the data sets. */
        public Settings withSeed(long otherSeed) {
            return new Settings(unet, imageSize, pretrainEpochs, adaptEpochs, batchSize, pretrainLr, adaptLr, loss,
                    methods, otherSeed, defectWeight, methodLr, adaptLoss, bnStats, headFromSource, crops, keptImages,
                    methodSettings, evalEvery, bnRecalibrate);
        }

        /** The adaptation learning rate of {@code method}. */
        public double adaptLr(String method) {
            return methodLr.getOrDefault(method, adaptLr);
        }

        /** How images reach the network, for the table: {@code letterbox 112} or {@code crops 224 @1.0}. */
        public String sampling(boolean source) {
            if (crops == null) {
                return "letterbox " + imageSize;
            }
            CropConfig c = source ? crops.source() : crops.target();
            return "crops " + c.size() + " @" + c.scale();
        }

        /** The settings {@code method} adapts with: its registered defaults with this study's own over them. */
        public Record methodConfig(String method) {
            Map<String, String> own = methodSettings.get(MethodRegistry.methodOf(method));
            return own == null ? MethodRegistry.defaultConfig(method) : MethodRegistry.configWith(method, own);
        }

        /** A stable description of everything that decides a run's figures (map order fixed). */
        String fingerprint() {
            Map<String, Map<String, String>> own = new TreeMap<>();
            methodSettings.forEach((k, v) -> own.put(k, new TreeMap<>(v)));
            // Off, recalibration leaves the fingerprint as it was before the option, so earlier rows are read back.
            return toString().replace("methodLr=" + methodLr, "methodLr=" + new TreeMap<>(methodLr))
                    .replace("methodSettings=" + methodSettings, "methodSettings=" + own)
                    .replace(", bnRecalibrate=0]", "]");
        }
    }

    /**
     * Native-resolution training: crops of the source and of the targets, and sliding windows of the crop size (at
     * the crop's scale) with {@code overlap} for every test image. {@code epochCrops}: crops per epoch, 0 for one
     * per training image; fewer make more, shorter epochs that walk through the images in turn, so that a short run
     * over many images still gets the schedule's warm-up, cosine and final low rate (all set per epoch).
     */
    public record Crops(CropConfig source, CropConfig target, double overlap, int epochCrops) {
        public Crops(CropConfig source, CropConfig target, double overlap) {
            this(source, target, overlap, 0);
        }

        public Crops {
            if (epochCrops < 0) {
                throw new IllegalArgumentException("crops per epoch must be 0 (one per image) or more, got "
                        + epochCrops);
            }
            // The same check as the sliding window's, before anything is trained.
            new SlidingWindow(source.size(), overlap, 1, source.scale());
            new SlidingWindow(target.size(), overlap, 1, target.scale());
        }
    }

    /** A data set with its train and test parts. */
    public record Domain(String name, ImageDataset train, ImageDataset test) {}

    /**
     * One method's result on one target. {@code sourceMiou}: test mIoU on the source set of the adapted network
     * under the source head (what an active adapter costs the source task); {@code sourceOffMiou}: the same with the
     * adapter switched off (the base model as it was, if the method keeps its weights apart); NaN where not measured.
     * {@code sampling}: how images reached the network (see {@link Settings#sampling}). {@code iou} per class
     * (background first) with {@code classNames}; {@code f1} the image-level F1 where any predicted defect pixel
     * calls a part defective, {@code ap} the image-level average precision over the largest predicted defect area
     * (NaN without a defective test image). {@code seed}: the adaptation seed of a study that adapts with several
     * (see {@link TransferStudy#TransferStudy(Settings, int, PrintStream)}), null in a study of one seed and for the
     * pretrained model.
     */
    public record Row(String target, String method, String sampling, long trainable, long total, double miou,
            double mpa, List<String> classNames, double[] iou, double f1, double ap, double sourceMiou,
            double sourceOffMiou, double seconds, Long seed) {
        /** A row of a study of one seed. */
        public Row(String target, String method, String sampling, long trainable, long total, double miou,
                double mpa, List<String> classNames, double[] iou, double f1, double ap, double sourceMiou,
                double sourceOffMiou, double seconds) {
            this(target, method, sampling, trainable, total, miou, mpa, classNames, iou, f1, ap, sourceMiou,
                    sourceOffMiou, seconds, null);
        }

        /** A row with the figures of the demo's table alone (no per-class or image-level scores). */
        public Row(String target, String method, long trainable, long total, double miou, double mpa,
                double sourceMiou, double sourceOffMiou, double seconds) {
            this(target, method, "", trainable, total, miou, mpa, List.of(), new double[0], Double.NaN, Double.NaN,
                    sourceMiou, sourceOffMiou, seconds);
        }

        /** This row of adaptation seed {@code s}. */
        Row withSeed(long s) {
            return new Row(target, method, sampling, trainable, total, miou, mpa, classNames, iou, f1, ap, sourceMiou,
                    sourceOffMiou, seconds, s);
        }
    }

    /**
     * One adapter switched on in a base model that holds several: how long switching took on average, and its
     * test mIoU on its own data set after the switch.
     */
    public record Switch(String target, String method, double micros, double miou) {}

    /** The Swin-Att-UNet's classifier, a 1x1 convolution. */
    private static final String HEAD = "final_conv";
    private static final String ROW = "row.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Settings settings;
    private final int seeds;
    private final PrintStream console;
    private final PhaseTimes phases;

    /** A study that adapts with every method once, with the settings' seed. */
    public TransferStudy(Settings settings, PrintStream console) {
        this(settings, 1, console);
    }

    /**
     * A study that adapts with every method {@code seeds} times, with adaptation seeds {@code settings.seed()},
     * {@code settings.seed() + 1}, ...: the same base and data sets, only the randomness of adapting changes (the
     * head's draw, the adapter's initialisation, the batch order, the augmentation). With one seed the run folders
     * are {@code <target>/<method>}, with more {@code <target>/<method>/seed-<seed>}.
     */
    public TransferStudy(Settings settings, int seeds, PrintStream console) {
        this(settings, seeds, console, new PhaseTimes());
        if (seeds < 1) {
            throw new IllegalArgumentException("the number of adaptation seeds must be at least 1, got " + seeds);
        }
    }

    private TransferStudy(Settings settings, int seeds, PrintStream console, PhaseTimes phases) {
        this.settings = settings;
        this.seeds = seeds;
        this.console = console;
        this.phases = phases;
    }

    /**
     * The folder of {@code method}'s run on {@code target} with adaptation seed {@code seed}: {@code
     * out/<target>/<method>} in a study of one seed, {@code out/<target>/<method>/seed-<seed>} in one of several.
     */
    public Path runFolder(Path out, String target, String method, long seed) {
        Path dir = ContainedPath.resolve(ContainedPath.resolve(out, target, "domain name"), method, "method name");
        return seeds == 1 ? dir : dir.resolve("seed-" + seed);
    }

    /** The adaptation seeds, first to last. */
    public List<Long> seeds() {
        List<Long> all = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            all.add(settings.seed() + i);
        }
        return all;
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
        write(rows, out);
        Path base = pretrained != null ? pretrained : out.resolve("pretrain").resolve(Trainer.LAST);
        for (Domain target : targets) {
            adaptLocked(source, target, out, base, rows);
        }
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
            return adaptLocked(source, target, out, base, null);
        }
    }

    /**
     * Pretrains on {@code source} into {@code out/pretrain}, or scores the checkpoint {@code pretrained} when it is
     * not null, and returns the source row (read back when an earlier run with the same settings finished it). Runs
     * the study's first phase alone, as a caller that adapts the targets side by side needs it; that caller holds
     * {@code out}'s {@link RunFolderLock}.
     */
    public Row pretrain(Domain source, Path out, Path pretrained) throws IOException {
        if (pretrained == null) {
            console.printf(Locale.ROOT, "== pretraining on %s (%d images, %d epochs, %s)%n", source.name(),
                    source.train().size(), settings.pretrainEpochs(), settings.sampling(true));
        } else {
            console.printf(Locale.ROOT, "== starting from %s%n", pretrained);
        }
        String sourceKey = key(source, "pretrained", pretrained);
        Path sourceRow = out.resolve("pretrain").resolve(ROW);
        Row first = readRow(sourceRow, sourceKey);
        if (first == null) {
            long t0 = System.nanoTime();
            try (NDManager m = EngineSetup.newManager()) {
                EngineSetup.seed(settings.seed());
                SwinAttUNet model = new SwinAttUNet(m, withClasses(source.train().numClasses()));
                double seconds;
                if (pretrained == null) {
                    TrainingResult r = phases.time("pretrain " + source.name(), () -> train(model, source, true,
                            settings.pretrainEpochs(), settings.pretrainLr(), settings.loss(), 1,
                            out.resolve("pretrain"), 0, settings.bnRecalibrate()));
                    console.printf(Locale.ROOT, "   checkpoint %s%n", r.lastCheckpoint());
                    seconds = trainingSeconds(r);
                } else {
                    baseWeights(model, pretrained, m);
                    seconds = (System.nanoTime() - t0) / 1e9;
                }
                Test t = phases.time("score base on " + source.name(), () -> test(model, source.test(), true));
                first = row(source.name() + " (source)", "pretrained", settings.sampling(true),
                        model.trainableParameterCount(), model.parameterCount(), source.test(), t,
                        t.scores().meanIou(), t.scores().meanIou(), seconds);
            }
            writeRow(sourceRow, sourceKey, first);
        }
        console.printf(Locale.ROOT, "   source test mIoU %.2f%%%n", 100 * first.miou());
        return first;
    }

    /**
     * Every method on {@code target}; each finished row is added to {@code all} (when not null) and the comparison
     * rewritten, so that an interrupted study keeps what it measured.
     */
    private List<Row> adaptLocked(Domain source, Domain target, Path out, Path base, List<Row> all)
            throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String name : settings.methods()) {
            for (long seed : seeds()) {
                // One study per seed: its settings (and so its row's key) differ in the seed alone.
                TransferStudy run = seed == settings.seed() ? this
                        : new TransferStudy(settings.withSeed(seed), seeds, console, phases);
                String which = seeds == 1 ? name : name + " seed " + seed;
                console.printf(Locale.ROOT, "== %s on %s (%d images, %d epochs, lr %.1e, %s)%n", which,
                        target.name(), target.train().size(), settings.adaptEpochs(), settings.adaptLr(name),
                        settings.sampling(false));
                Path dir = runFolder(out, target.name(), name, seed);
                String key = run.key(target, name, base);
                Row row = readRow(dir.resolve(ROW), key);
                if (row == null) {
                    row = run.adaptMethod(name, which, source, target, base, dir);
                    if (seeds > 1) {
                        row = row.withSeed(seed);
                    }
                    writeRow(dir.resolve(ROW), key, row);
                } else {
                    console.printf(Locale.ROOT, "   finished earlier: %s%n", dir.resolve(ROW));
                }
                rows.add(row);
                console.printf(Locale.ROOT, "   %s: test mIoU %.2f%%, image F1 %.3f, AP %.3f, %,d trainable "
                        + "parameters, source test mIoU %.2f%% with the adapter on, %.2f%% off, %.0f s%n", which,
                        100 * row.miou(), row.f1(), row.ap(), row.trainable(), 100 * row.sourceMiou(),
                        100 * row.sourceOffMiou(), row.seconds());
                if (all != null) {
                    all.add(row);
                    write(all, out);
                }
            }
        }
        return rows;
    }

    /** Adapts with method {@code name} (called {@code which} in phase names) into {@code dir}, with this seed. */
    private Row adaptMethod(String name, String which, Domain source, Domain target, Path base, Path dir)
            throws IOException {
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(settings.seed() + 1);
            SwinAttUNet model = new SwinAttUNet(m, withClasses(source.train().numClasses()));
            Map<String, NDArray> weights = baseWeights(model, base, m);
            PeftMethod method = MethodRegistry.create(MethodRegistry.methodOf(name), settings.methodConfig(name),
                    MethodInputs.prompt(TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH)));
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
            String phase = target.name() + " " + which;
            TrainingResult r = phases.time(phase + ": training", () -> train(model, target, false,
                    settings.adaptEpochs(), settings.adaptLr(name), settings.adaptLoss(), settings.defectWeight(), dir,
                    settings.evalEvery(), method.bnStats() == BnStats.UPDATE ? settings.bnRecalibrate() : 0));
            AdapterFiles.save(a, dir.resolve("adapter"));
            Test t = phases.time(phase + ": test", () -> test(model, target.test(), false));
            long trainable = model.trainableParameterCount();
            long total = model.parameterCount();
            double[] sourceScores = phases.time(phase + ": source scores", () -> {
                double kept = sourceKept(model, weights, source, m);
                a.deactivate();
                return new double[] {kept, test(model, keptTest(source), true).scores().meanIou()};
            });
            double kept = sourceScores[0];
            double off = sourceScores[1];
            return row(target.name(), name, settings.sampling(false), trainable, total, target.test(), t, kept, off,
                    trainingSeconds(r));
        }
    }

    /** What a finished run's row must have been measured with to be read back. */
    private String key(Domain d, String method, Path pretrained) {
        return settings.fingerprint() + " data=" + d.name() + "/" + d.train().size() + "/" + d.test().size()
                + " method=" + method + " base=" + pretrained;
    }

    /**
     * Loads the base weights in {@code file} into {@code model}, strictly, and returns them under its names: a
     * training checkpoint, a safetensors state dict or a PyTorch {@code .pth} (names mapped by the known layouts).
     */
    private static Map<String, NDArray> baseWeights(Module model, Path file, NDManager m) throws IOException {
        Weights w = Weights.read(file, m);
        SegmentationNet.loadStrict(model, w);
        return w.forModel(model).tensors();
    }

    /**
     * Loads {@code method}'s adapter of every target, as the study saved them (those of its first seed), onto one
     * copy of the base model and
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
            baseWeights(model, base, m);
            AdapterSet set = new AdapterSet(model);
            for (Domain t : targets) {
                set.load(t.name(), runFolder(out, t.name(), method, settings.seed()).resolve("adapter"), m);
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
                result.add(new Switch(t.name(), method, micros, test(model, t.test(), false).scores().meanIou()));
            }
            set.deactivateAll();
            result.add(new Switch(source.name(), "off", Double.NaN, test(model, source.test(), true).scores().meanIou()));
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

    /**
     * Trains {@code model} on {@code d}; with {@code evalEvery > 0} (letterbox only) the test set is also validated
     * every that many epochs, for curves.
     */
    private TrainingResult train(SwinAttUNet model, Domain d, boolean source, int epochs, double lr, String loss,
            double defectWeight, Path dir, int evalEvery, int bnRecalibrate) throws IOException {
        List<Double> weights = new ArrayList<>();
        if (defectWeight != 1) {
            weights.add(1.0);
            for (int c = 1; c < d.train().numClasses(); c++) {
                weights.add(defectWeight);
            }
        }
        TrainerConfig config = TrainerConfig.builder().setEpochs(epochs).setNumClasses(d.train().numClasses())
                .optOptimizer("adam").optLearningRate(lr).optMinLearningRate(lr / 100).optSchedule("cos")
                .optLoss(loss).optClassWeights(weights).optEvalPeriod(evalEvery > 0 ? evalEvery : epochs)
                .optSeed(settings.seed()).optBnRecalibrate(bnRecalibrate).build();
        LoaderConfig loading = LoaderConfig.training(settings.batchSize()).withSeed(settings.seed());
        // Test images are scored once after training, at their own size (see test), not by the trainer.
        Trainer.Builder b = Trainer.builder().setModel(model).setConfig(config).setOutputDir(dir)
                .optConsole(console).optClassNames(d.train().classNames());
        if (settings.crops() != null) {
            CropConfig crops = source ? settings.crops().source() : settings.crops().target();
            CropSampler sampler = new CropSampler(d.train(), DefectIndex.build(d.train(), settings.seed()), crops,
                    settings.seed());
            int images = d.train().size();
            int perEpoch = settings.crops().epochCrops() > 0 ? settings.crops().epochCrops() : images;
            BatchLoader.SampleSource turns = (k, epoch) -> sampler.load(cropImage(epoch, k, perEpoch, images),
                    epoch);
            try (BatchLoader train = new BatchLoader(d.train().name(), perEpoch, turns, loading)) {
                return b.setTrainData(BatchSource.of(train)).build().fit();
            }
        }
        PairTransform t = Letterbox.square(settings.imageSize());
        if (evalEvery > 0) {
            try (BatchLoader train = new BatchLoader(d.train(), t, loading);
                    BatchLoader val = new BatchLoader(d.test(), t, LoaderConfig.evaluation(settings.batchSize()))) {
                return b.setTrainData(BatchSource.of(train)).optValidationData(BatchSource.of(val)).build().fit();
            }
        }
        try (BatchLoader train = new BatchLoader(d.train(), t, loading)) {
            return b.setTrainData(BatchSource.of(train)).build().fit();
        }
    }

    /**
     * The training image that crop {@code k} of {@code epoch} starts from, with {@code perEpoch} crops an epoch:
     * image {@code (epoch * perEpoch + k) mod images}, so that consecutive epochs take every image in turn.
     */
    static int cropImage(int epoch, int k, int perEpoch, int images) {
        return (int) (((long) epoch * perEpoch + k) % images);
    }

    /** Pixel and image-level scores of one test pass. */
    private record Test(SegmentationScores scores, VerdictScores verdicts) {}

    /**
     * Every image of {@code test} predicted at its own size, as {@code eval} does: letterboxed, or by sliding
     * windows of the crop size.
     */
    private Test test(SwinAttUNet model, ImageDataset test, boolean source) {
        Predictor.Builder pb = Predictor.builder().setModel(model).setInputSize(settings.imageSize());
        if (settings.crops() != null) {
            CropConfig c = source ? settings.crops().source() : settings.crops().target();
            pb.optSlidingWindow(new SlidingWindow(c.size(), settings.crops().overlap(), settings.batchSize(),
                    c.scale()));
        }
        ConfusionMatrix matrix = new ConfusionMatrix(test.numClasses());
        ImageVerdicts verdicts = new ImageVerdicts(test.numClasses(), VerdictThreshold.ANY_PIXEL);
        try (Predictor p = pb.build()) {
            for (int i = 0; i < test.size(); i++) {
                LabelledImage pair = test.read(i);
                Prediction pred = p.predict(pair.image());
                matrix.add(pair.mask(), pred.mask());
                verdicts.add(pair.mask(), pred.mask(), pred.width());
            }
        }
        return new Test(matrix.scores(), verdicts.scores());
    }

    private static Row row(String target, String method, String sampling, long trainable, long total,
            ImageDataset test, Test t, double sourceMiou, double sourceOffMiou, double seconds) {
        SegmentationScores s = t.scores();
        return new Row(target, method, sampling, trainable, total, s.meanIou(), s.meanRecall(), test.classNames(),
                s.iou().clone(), t.verdicts().f1(), t.verdicts().averagePrecision(), sourceMiou, sourceOffMiou,
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
            return test(model, keptTest(source), true).scores().meanIou();
        } finally {
            model.replace(HEAD, adapted);
        }
    }

    /** The source test images on which an adapted network's source mIoU is measured. */
    private ImageDataset keptTest(Domain source) {
        return settings.keptImages() > 0 ? ImageSubset.spread(source.test(), settings.keptImages()) : source.test();
    }

    private static Row readRow(Path file, String key) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode n = JSON.readTree(file.toFile());
        if (!key.equals(n.path("settings").asText())) {
            return null;
        }
        List<String> names = new ArrayList<>();
        n.path("class_names").forEach(c -> names.add(c.asText()));
        double[] iou = new double[names.size()];
        for (int i = 0; i < iou.length; i++) {
            iou[i] = number(n.path("iou").path(i));
        }
        return new Row(n.path("data").asText(), n.path("method").asText(), n.path("sampling").asText(),
                n.path("trainable").asLong(), n.path("total").asLong(), number(n.path("miou")),
                number(n.path("mpa")), names, iou, number(n.path("image_f1")), number(n.path("image_ap")),
                number(n.path("source_miou")), number(n.path("source_off_miou")), number(n.path("seconds")),
                n.path("seed").isIntegralNumber() ? n.path("seed").asLong() : null);
    }

    private static void writeRow(Path file, String key, Row r) throws IOException {
        ObjectNode n = rowJson(r);
        n.put("settings", key);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    /** NaN is written as null (JSON has no NaN) and read back as NaN. */
    private static double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static void put(ObjectNode n, String field, double v) {
        if (Double.isNaN(v)) {
            n.putNull(field);
        } else {
            n.put(field, v);
        }
    }

    private static ObjectNode rowJson(Row r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("data", r.target());
        n.put("method", r.method());
        n.put("sampling", r.sampling());
        n.put("trainable", r.trainable());
        n.put("total", r.total());
        put(n, "miou", r.miou());
        put(n, "mpa", r.mpa());
        ArrayNode names = n.putArray("class_names");
        r.classNames().forEach(names::add);
        ArrayNode iou = n.putArray("iou");
        for (double v : r.iou()) {
            if (Double.isNaN(v)) {
                iou.addNull();
            } else {
                iou.add(v);
            }
        }
        put(n, "image_f1", r.f1());
        put(n, "image_ap", r.ap());
        put(n, "source_miou", r.sourceMiou());
        put(n, "source_off_miou", r.sourceOffMiou());
        put(n, "seconds", r.seconds());
        if (r.seed() != null) {
            n.put("seed", r.seed());
        }
        return n;
    }

    /**
     * {@code rows} in groups, in the order they first appear: the rows of one method on one data set that carry an
     * adaptation seed make one group, every row without a seed a group of its own.
     */
    static List<List<Row>> bySeeds(List<Row> rows) {
        Map<Object, List<Row>> groups = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            groups.computeIfAbsent(r.seed() == null ? i : List.of(r.target(), r.method()), k -> new ArrayList<>())
                    .add(r);
        }
        return List.copyOf(groups.values());
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

    /**
     * Writes {@code comparison.md} (the table with per-class IoU and image-level scores), {@code comparison.json}
     * and {@code comparison.png}.
     */
    public static void write(List<Row> rows, Path out) throws IOException {
        write(rows, detailedTable(rows), out);
    }

    /** Writes {@code table} as {@code comparison.md}, and {@code rows} as {@code comparison.json} and the chart. */
    public static void write(List<Row> rows, ComparisonTable table, Path out) throws IOException {
        write(rows, table.markdown(), out);
    }

    /** The table of every figure a row holds: sampling, per-class IoU, image-level F1 and AP besides mIoU. */
    static String detailedTable(List<Row> rows) {
        StringBuilder md = new StringBuilder();
        md.append("| data set | method | sampling | trainable parameters | % of model | test mIoU | test mPA "
                + "| IoU per class | image F1 | image AP | source mIoU, adapter off | source mIoU, adapter on "
                + "| training seconds |\n");
        md.append("|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            StringBuilder perClass = new StringBuilder();
            for (int c = 1; c < r.iou().length; c++) {
                perClass.append(c > 1 ? ", " : "").append(r.classNames().get(c)).append(' ')
                        .append(String.format(Locale.ROOT, "%.1f", 100 * r.iou()[c]));
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %,d | %.2f | %.2f | %.2f | %s | %.3f | %.3f "
                    + "| %.2f | %.2f | %.0f |%n", r.target(), r.method(), r.sampling(), r.trainable(),
                    100.0 * r.trainable() / r.total(), 100 * r.miou(), 100 * r.mpa(), perClass, r.f1(), r.ap(),
                    100 * r.sourceOffMiou(), 100 * r.sourceMiou(), r.seconds()));
        }
        return md.toString();
    }

    private static void write(List<Row> rows, String markdown, Path out) throws IOException {
        ArrayNode json = JSON.createArrayNode();
        for (Row r : rows) {
            json.add(rowJson(r));
        }
        // One point per method and target: with several seeds, at their mean.
        List<EfficiencyChart.Point> points = new ArrayList<>();
        for (List<Row> seeds : bySeeds(rows)) {
            Row r = seeds.get(0);
            if (!r.method().equals("pretrained")) {
                points.add(new EfficiencyChart.Point(r.target(), r.method(), r.trainable(),
                        seeds.stream().mapToDouble(Row::miou).sum() / seeds.size()));
            }
        }
        AtomicFiles.write(out.resolve("comparison.md"), o -> o.write(markdown.getBytes(StandardCharsets.UTF_8)));
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        AtomicFiles.write(out.resolve("comparison.json"), o -> o.write(bytes));
        EfficiencyChart.write(out.resolve("comparison.png"), points, "Test mIoU against trainable parameters");
    }
}
