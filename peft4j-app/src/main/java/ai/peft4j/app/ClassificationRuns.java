package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.eval.ConfusionMatrixImage;
import ai.peft4j.app.eval.EvalReport;
import ai.peft4j.app.run.ClassifierNet;
import ai.peft4j.app.run.ClassifierTraining;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.app.run.SourceRetention;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.core.text.CsvRow;
import ai.peft4j.data.Batch;
import ai.peft4j.data.classify.ClassBatches;
import ai.peft4j.data.classify.ClassificationTransform;
import ai.peft4j.data.classify.LabelledImages;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.train.classify.ClassificationScores;
import ai.peft4j.train.classify.WeightedKnn;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.TrainingResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code train}, {@code finetune}, {@code eval} and {@code predict} for a {@code task: classification} run: the
 * same commands, run files, run folders and trainer as segmentation, with a ViT, class-per-image data and
 * accuracy in place of masks and IoU.
 */
final class ClassificationRuns {
    static final String PER_CLASS_CSV = "per_class_accuracy.csv";
    static final String PREDICTIONS_CSV = "predictions.csv";

    private ClassificationRuns() {}

    /** The training split, whose classes define the class ids of every split. */
    static LabelledImages open(RunConfig c, String split, LabelledImages train) {
        return LabelledImages.open(Path.of(c.data().root()), c.data().layout(), split,
                train == null ? null : train.classNames(), c.data().classes());
    }

    static int train(RunConfigFile rc, PrintStream console) throws IOException {
        RunConfig c = rc.config();
        LabelledImages train = open(c, c.data().trainSplit(), null);
        LabelledImages val = c.data().valSplit().isEmpty() ? null : open(c, c.data().valSplit(), train);
        int classes = classes(c, train);
        Path out = Path.of(c.output());
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(c.training().seed());
            VisionTransformer vit = ClassifierNet.build(c.model(), classes, m);
            LoadReport init = c.model().init().isEmpty() ? null : vit.loadStateDict(ClassifierNet.timmNames(
                    Weights.read(Path.of(c.model().init()), m)).tensors(), false);
            RunData.createRunDirectory(out);
            try (RunFolderLock lock = RunFolderLock.take(out, console)) {
                RunTraining.checkResumable(out, c, RunTraining.trainerConfig(c.training(), classes));
                rc.writeResolved(out, "train");
                RunSummary.model(console, ClassifierNet.describe(c.model(), classes), vit);
                if (init != null) {
                    console.printf(Locale.ROOT, "Init      %s: %d tensors loaded, %d kept their initial values, "
                            + "%d in the file unused%n", c.model().init(), init.loaded().size(), init.missing().size()
                            + init.mismatched().size(), init.unexpected().size());
                }
                printData(console, c, train, val);
                TrainingResult r = ClassifierTraining.fit(vit, c, train, val, out, console);
                RunSummary.result(console, r, out, true);
            }
        }
        return 0;
    }

    /** Refuses to continue a run on another base than the one it started from (finetune's base.json). */
    @FunctionalInterface
    interface BaseCheck {
        void check(Path out, Path baseFile, String fingerprint) throws IOException;
    }

    static int finetune(RunConfigFile rc, PrintStream console, BaseCheck baseCheck) throws IOException {
        RunConfig c = rc.config();
        LabelledImages train = open(c, c.data().trainSplit(), null);
        LabelledImages val = c.data().valSplit().isEmpty() ? null : open(c, c.data().valSplit(), train);
        int classes = classes(c, train);
        Path out = Path.of(c.output());
        try (NDManager m = EngineSetup.newManager()) {
            Weights w = Weights.read(Path.of(c.model().init()), m);
            EngineSetup.seed(c.training().seed());
            VisionTransformer vit = ClassifierNet.build(c.model(), classes, m);
            String head = ClassifierNet.loadBase(vit, w, c.classification().newHead(), "to train a fresh "
                    + classes + "-class head in its place, set classification.new_head: true (--set "
                    + "classification.new_head=true)");
            Map<String, Object> options = c.method().options();
            PeftMethod pm;
            try {
                pm = MethodRegistry.create(c.method().name(), MethodRegistry.configWith(c.method().name(), options),
                        MethodInputs.none().withFreshBlock(b -> vit.newBlock()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("method.options: " + e.getMessage(), e);
            }
            if (!MethodRegistry.VIT_MODES.contains(pm.name())) {
                throw new IllegalArgumentException("method '" + pm.name() + "' is a segmentation method; a "
                        + "classification run takes " + String.join(", ", MethodRegistry.VIT_MODES));
            }
            Attachment a = pm.attach(vit);
            RunData.createRunDirectory(out);
            try (RunFolderLock lock = RunFolderLock.take(out, console)) {
                RunTraining.checkResumable(out, c, RunTraining.trainerConfig(c.training(), classes),
                        Set.of("model.init"));
                baseCheck.check(out, w.file(), a.baseFingerprint());
                rc.writeResolved(out, "finetune");
                RunSummary.model(console, pm.name() + " " + MethodRegistry.toJson(pm.config()) + " on "
                        + ClassifierNet.describe(c.model(), classes) + " from " + w.file(), vit);
                if (!head.isEmpty()) {
                    console.printf("Head      %s%n", head);
                }
                printData(console, c, train, val);
                TrainingResult r = ClassifierTraining.fit(vit, c, train, val, out, console);
                AdapterFiles.save(a, out.resolve("adapter"));
                if (r.bestCheckpoint() != null) {
                    vit.loadStateDict(Checkpoint.read(r.bestCheckpoint(), m).modelState(), true);
                    AdapterFiles.save(a, out.resolve("adapter-best"));
                }
                RunSummary.result(console, r, out, true);
                console.printf(Locale.ROOT, "Adapter   %s%s%n", out.resolve("adapter"),
                        r.bestCheckpoint() == null ? "" : ", best epoch's: " + out.resolve("adapter-best"));
            }
        }
        return 0;
    }

    static int eval(RunConfig c, Path checkpoint, Path adapter, boolean forceBase, Path out, String split,
            PrintStream console) throws IOException {
        return eval(c, checkpoint, adapter, forceBase, out, split, null, console);
    }

    /**
     * Scores the test split; with {@code source}, also what the model keeps of a source task: the weighted k-NN
     * accuracy of its features on the source's test split (with the adapter on, and off when there is one).
     */
    static int eval(RunConfig c, Path checkpoint, Path adapter, boolean forceBase, Path out, String split,
            SourceRetention.Source source, PrintStream console) throws IOException {
        SourceRetention.SourceData sourceData = source == null ? null : SourceRetention.SourceData.open(source);
        LabelledImages train = open(c, c.data().trainSplit(), null);
        LabelledImages test = open(c, split != null ? split : c.data().testSplit(), train);
        Path dir = out != null ? out : Path.of(c.output()).resolve("eval");
        List<Path> read = new ArrayList<>(test.items().stream().map(LabelledImages.Item::file).toList());
        read.add(checkpoint);
        if (sourceData != null) {
            sourceData.train().items().forEach(i -> read.add(i.file()));
            sourceData.test().items().forEach(i -> read.add(i.file()));
        }
        InputFiles inputs = InputFiles.of(read);
        for (String name : List.of(EvalReport.METRICS, PER_CLASS_CSV, EvalReport.MATRIX_CSV, EvalReport.MATRIX_PNG)) {
            inputs.refuseOverwrite(dir.resolve(name), "choose an --out folder away from the data and the model");
        }
        ClassificationScores scores = new ClassificationScores(train.numClasses());
        SourceRetention.Report kept = null;
        SourceRetention.Report keptOff = null;
        try (NDManager m = EngineSetup.newManager()) {
            ClassifierNet.Restored restored = ClassifierNet.restoreAttached(c.model(), train.numClasses(), checkpoint,
                    adapter, forceBase, m);
            VisionTransformer vit = restored.vit();
            Layer net = ClassifierNet.layer(vit, c.classification());
            for (Batch b : ClassBatches.evaluation(test, ClassifierTraining.transform(c), c.training().batch())
                    .epoch(0)) {
                scores.add(b.masks(), probabilities(m, net, b.images(), b.size(), b.height()));
            }
            if (sourceData != null) {
                kept = SourceRetention.score(vit, c, sourceData, m);
                if (restored.adapter() != null) {
                    restored.adapter().deactivate();
                    keptOff = SourceRetention.score(vit, c, sourceData, m);
                }
            }
        }
        Files.createDirectories(dir);
        ObjectNode metricsJson = metrics(c, checkpoint, adapter, test, scores);
        if (kept != null) {
            metricsJson.set("source_knn", kept.toJson(adapter == null ? "none" : "on"));
        }
        if (keptOff != null) {
            metricsJson.set("source_knn_adapter_off", keptOff.toJson("off"));
        }
        AtomicFiles.write(dir.resolve(EvalReport.METRICS), o -> o.write(metricsJson.toPrettyString()
                .getBytes(StandardCharsets.UTF_8)));
        writeCsv(dir.resolve(PER_CLASS_CSV), perClassRows(test, scores));
        writeCsv(dir.resolve(EvalReport.MATRIX_CSV), matrixRows(test.classNames(), scores));
        ConfusionMatrixImage.write(dir.resolve(EvalReport.MATRIX_PNG), scores.matrix(), test.classNames());
        console.printf(Locale.ROOT, "%s, %d images: top-1 %.2f  top-%d %.2f (%%)%n", test.name(), test.size(),
                100 * scores.top1(), scores.k(), 100 * scores.topK());
        int[] counts = test.classCounts();
        for (int i = 0; i < test.numClasses(); i++) {
            console.printf(Locale.ROOT, "  %-16s %4d images, accuracy %6.2f%n", test.classNames().get(i), counts[i],
                    100 * scores.perClass()[i]);
        }
        printKnn(console, kept, adapter == null ? "" : ", adapter on");
        printKnn(console, keptOff, ", adapter off");
        console.printf("Report    %s, %s, %s%n", dir.resolve(EvalReport.METRICS), dir.resolve(PER_CLASS_CSV),
                dir.resolve(EvalReport.MATRIX_PNG));
        return 0;
    }

    static int predict(RunConfig c, List<Path> images, Path checkpoint, Path adapter, boolean forceBase, Path out,
            PrintStream console) throws IOException {
        List<String> names = classNames(c);
        Path csv = out.resolve(PREDICTIONS_CSV);
        List<Path> read = new ArrayList<>(images);
        read.add(checkpoint);
        InputFiles.of(read).refuseOverwrite(csv, "choose an --out folder that holds no inputs");
        ClassificationTransform t = ClassifierTraining.transform(c);
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("image", "class", "probability", "top_k"));
        try (NDManager m = EngineSetup.newManager()) {
            VisionTransformer vit = ClassifierNet.restore(c.model(), names.size(), checkpoint, adapter, forceBase,
                    m);
            Layer net = ClassifierNet.layer(vit, c.classification());
            int k = Math.min(5, names.size());
            for (Path image : images) {
                float[] p = probabilities(m, net, t.test(ImageDecoder.readRgb(image)), 1, t.size())[0];
                Integer[] order = new Integer[p.length];
                Arrays.setAll(order, i -> i);
                Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
                StringBuilder top = new StringBuilder();
                for (int r = 0; r < k; r++) {
                    top.append(r == 0 ? "" : "; ").append(names.get(order[r]))
                            .append(String.format(Locale.ROOT, " %.4f", p[order[r]]));
                }
                console.printf(Locale.ROOT, "%s: %s (%.4f)  top-%d: %s%n", image.getFileName(), names.get(order[0]),
                        p[order[0]], k, top);
                rows.add(List.of(image.toString(), names.get(order[0]), String.format(Locale.ROOT, "%.6f",
                        p[order[0]]), top.toString()));
            }
        }
        writeCsv(csv, rows);
        console.printf("Wrote     %s%n", csv);
        return 0;
    }

    private static void printKnn(PrintStream console, SourceRetention.Report r, String what) {
        if (r == null) {
            return;
        }
        StringBuilder line = new StringBuilder();
        for (WeightedKnn.Result k : r.results()) {
            line.append(String.format(Locale.ROOT, "  k %d: %.2f", k.k(), 100 * k.top1()));
        }
        console.printf(Locale.ROOT, "Source    %s, %d images by weighted k-NN (T %s) over %d of %s%s: top-1%s (%%)%n",
                r.data().test().name(), r.data().test().size(), r.data().source().temperature(),
                r.data().train().size(), r.data().train().name(), what, line);
    }

    /** Class probabilities {@code [n][C]} of {@code n} images of side {@code side}, channels first in [0, 1]. */
    private static float[][] probabilities(NDManager m, Layer net, float[] pixels, int n, int side) {
        try (NDManager tmp = m.newSubManager()) {
            NDArray x = tmp.create(pixels, new Shape(n, 3, side, side));
            float[] flat = NoGradient.run(() -> net.forward(x).softmax(1).toFloatArray());
            int classes = flat.length / n;
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                out[i] = Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
            }
            return out;
        }
    }

    /** The class names of the run's training split, which fixed the class ids. */
    private static List<String> classNames(RunConfig c) {
        if (!c.data().classNames().isEmpty()) {
            return c.data().classNames();
        }
        try {
            return open(c, c.data().trainSplit(), null).classNames();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the class names come from the run's training data, which cannot be "
                    + "read (" + e.getMessage() + "); give them as data.class_names", e);
        }
    }

    private static int classes(RunConfig c, LabelledImages train) {
        int n = train.numClasses();
        if (c.model().classes() > 0 && c.model().classes() != n) {
            throw new IllegalArgumentException("model.classes is " + c.model().classes() + " but the data set has "
                    + n + " classes " + train.classNames() + "; leave model.classes at 0 or make them agree");
        }
        return n;
    }

    private static void printData(PrintStream console, RunConfig c, LabelledImages train, LabelledImages val) {
        console.printf(Locale.ROOT, "Data      %s: %d training images in %d classes%s%n", c.data().root(),
                train.size(), train.numClasses(), val == null ? ", no validation" : ", " + val.size()
                + " validation images");
    }

    private static ObjectNode metrics(RunConfig c, Path checkpoint, Path adapter, LabelledImages test,
            ClassificationScores s) {
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("task", "classification").put("model", checkpoint.toString());
        if (adapter != null) {
            j.put("adapter", adapter.toString());
        }
        j.put("split", test.name()).put("images", test.size()).put("top1", s.top1()).put("top_k", s.k())
                .put("top_k_accuracy", s.topK());
        ArrayNode per = j.putArray("per_class");
        int[] counts = test.classCounts();
        for (int i = 0; i < test.numClasses(); i++) {
            per.addObject().put("class", test.classNames().get(i)).put("images", counts[i])
                    .put("accuracy", s.perClass()[i]);
        }
        return j;
    }

    private static List<List<String>> perClassRows(LabelledImages test, ClassificationScores s) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("class", "images", "correct", "accuracy"));
        int[] counts = test.classCounts();
        for (int i = 0; i < test.numClasses(); i++) {
            rows.add(List.of(test.classNames().get(i), Integer.toString(counts[i]),
                    Long.toString(s.matrix().count(i, i)), String.format(Locale.ROOT, "%.6f", s.perClass()[i])));
        }
        return rows;
    }

    private static List<List<String>> matrixRows(List<String> names, ClassificationScores s) {
        List<List<String>> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("ground_truth\\prediction"));
        head.addAll(names);
        rows.add(head);
        long[][] counts = s.matrix().toArray();
        for (int i = 0; i < counts.length; i++) {
            List<String> row = new ArrayList<>(List.of(names.get(i)));
            Arrays.stream(counts[i]).forEach(v -> row.add(Long.toString(v)));
            rows.add(row);
        }
        return rows;
    }

    private static void writeCsv(Path file, List<List<String>> rows) throws IOException {
        StringBuilder text = new StringBuilder();
        rows.forEach(r -> text.append(CsvRow.format(r)).append('\n'));
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.write(file, o -> o.write(text.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
