package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ConfigOverride;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.eval.ClassScoreChart;
import ai.peft4j.app.eval.ConfusionMatrixImage;
import ai.peft4j.app.eval.EvalReport;
import ai.peft4j.app.eval.OverlayGrid;
import ai.peft4j.app.eval.PrecisionRecallChart;
import ai.peft4j.app.eval.TestSetPredictions;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.SourceRetention;
import ai.peft4j.app.run.TrainedModel;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.image.Palette;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.metrics.ImageVerdicts;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code peft4j eval}: scores a checkpoint (with an optional adapter) on the test split. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score a trained model on the run file's test split as the published get_miou.py does: "
            + "each image predicted at its own size (letterbox, softmax, crop, bilinear back, argmax), metrics from "
            + "the pixel confusion matrix (mIoU, mPA, mPrecision, Dice, accuracy, per class). A model trained on "
            + "crops (data.sampling: crops) predicts each image by sliding windows of the crop size instead.",
            "Pass/fail per part: a part is defective when the predicted area of some defect class exceeds "
                + "--verdict-threshold; precision, recall, F1, the precision-recall curve with its average "
                + "precision, the F1-maximising threshold and per-class instance recall go into metrics.json "
                + "(image_level) and the report (pr_curve.png).",
            "Writes metrics.json, report.md, report.html, class_scores.png, confusion_matrix.png/.csv, overlays.png "
                + "(the first test images: ground truth and prediction over the image), curves.png when the run "
                + "left one, and every prediction as an index PNG under predictions/."})
final class EvalCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Mixin
    CheckpointOptions weights;

    @Option(names = "--out", paramLabel = "DIR", description = "Report folder (default: the run file's output "
            + "folder + /eval).")
    Path out;

    @Option(names = "--split", description = "Split to score (default: data.test_split of the run file).")
    String split;

    @Option(names = "--verdict-threshold", defaultValue = "0", paramLabel = "AREA", description = "A part is "
            + "called defective when the predicted area of some defect class exceeds this: pixels (e.g. 50) or a "
            + "percentage of the image (e.g. 0.1%%); or val (val%% for a share): first predict the run file's "
            + "validation split (data.val_split) and use the threshold that maximises F1 there. Default: "
            + "${DEFAULT-VALUE}, any defect pixel. The report also gives the F1-maximising threshold on the scored "
            + "split itself, which is optimistic.")
    String verdictThreshold;

    @Option(names = "--overlays", defaultValue = "8", description = "Test images shown in overlays.png "
            + "(default: ${DEFAULT-VALUE}).")
    int overlays;

    @Mixin
    PredictionOptions tiles;

    @Option(names = "--source", paramLabel = "DIR", description = "Classification only: also measure forgetting "
            + "as peft-vit does: the source task's data (what the base was trained on), its test split scored by a "
            + "weighted k-NN over the features of its training split (the class token after the final norm, head "
            + "removed, L2-normalised, votes exp(cos/T)), with the adapter on and, when there is one, off. Goes "
            + "into metrics.json as source_knn and source_knn_adapter_off.")
    Path source;

    @Option(names = "--source-layout", paramLabel = "LAYOUT", defaultValue = "", description = "name-class or "
            + "image-folder (default: name-class when --source has ImageSets/Main, else image-folder).")
    String sourceLayout;

    @Option(names = "--source-splits", paramLabel = "TRAIN,TEST", split = ",", defaultValue = "train,test",
            description = "The source's voting and scored splits (default: ${DEFAULT-VALUE}).")
    List<String> sourceSplits;

    @Option(names = "--source-classes", paramLabel = "NAME,...", split = ",", description = "Score only these "
            + "classes of --source (e.g. the three NEU-DET classes a base was pretrained on); default: all.")
    List<String> sourceClasses = new ArrayList<>();

    @Option(names = "--knn-k", paramLabel = "K", split = ",", defaultValue = "10,20,100,200", description =
            "Neighbour counts of the k-NN, each at most the source's training images (default: ${DEFAULT-VALUE}, "
            + "as published).")
    List<Integer> knnK;

    @Option(names = "--knn-temperature", paramLabel = "T", defaultValue = "0.07", description = "Temperature of "
            + "the k-NN votes (default: ${DEFAULT-VALUE}, as published).")
    double knnTemperature;

    @Option(names = "--prompts", paramLabel = "MODE", description = "task: promptable only: point or box (one per "
            + "connected defect region of each test mask) or none (prompt-free); default: the run's "
            + "promptable.prompt. Scores each mask with the published Dice and IoU (averaged over logit thresholds "
            + "0.1-0.9) into metrics.json. A promptable.classes: all run (prompt-free, a mask token per class) is "
            + "scored as a segmenter instead (mIoU, per-class IoU, image-level pass/fail) and takes no --prompts.")
    String prompts;

    @Mixin
    GenerationOptions generation;

    @Override
    public Integer call() throws Exception {
        String chooseOn = verdictThreshold.strip();
        boolean fromValidation = chooseOn.equalsIgnoreCase("val") || chooseOn.equalsIgnoreCase("val%");
        VerdictThreshold threshold = fromValidation ? null : VerdictThreshold.parse(verdictThreshold);
        List<ConfigOverride> named = tiles.overrides();
        RunConfig c = config.require("eval", named).config();
        int tileBatch = tiles.batch();
        tiles.checkLogitAdjust(c, false);
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (c.promptableTask() && c.promptable().allClasses() && prompts != null
                && !prompts.equalsIgnoreCase("none")) {
            throw new IllegalArgumentException("a promptable.classes: all run is prompt-free (one mask token per "
                    + "class): leave --prompts out, got --prompts " + prompts);
        }
        if (c.promptableTask() && !c.promptable().allClasses()) {
            return PromptableRuns.eval(c, weights.checkpoint, weights.adapter, weights.forceBase, out, split, prompts,
                    console);
        }
        if (prompts != null && !c.promptableTask()) {
            throw new IllegalArgumentException("--prompts applies to task: promptable runs only");
        }
        if (c.detects()) {
            return DetectionRuns.eval(c, weights.checkpoint, weights.adapter, weights.forceBase, out, split,
                    generation.generation(), console);
        }
        if (c.classifies()) {
            SourceRetention.Source src = null;
            if (source != null) {
                if (sourceSplits.size() != 2) {
                    throw new IllegalArgumentException("--source-splits takes two splits, TRAIN,TEST; got "
                            + sourceSplits);
                }
                src = new SourceRetention.Source(source, sourceLayout, sourceSplits.get(0), sourceSplits.get(1),
                        knnK, knnTemperature, sourceClasses);
            }
            return ClassificationRuns.eval(c, weights.checkpoint, weights.adapter, weights.forceBase, out, split,
                    src, console);
        }
        if (source != null) {
            throw new IllegalArgumentException("--source (the k-NN forgetting measure) scores classification runs; "
                    + "for segmentation, 'peft4j bench transfer' scores the source test set under the source head");
        }
        if (fromValidation && c.data().valSplit().isEmpty()) {
            throw new IllegalArgumentException("--verdict-threshold " + chooseOn + " chooses the threshold on the "
                    + "validation split, but the run file names none: set data.val_split (or --set "
                    + "data.val_split=LIST)");
        }
        ImageDataset val = fromValidation ? RunData.open(c.data(), c.data().valSplit()) : null;
        ImageDataset test = RunData.open(c.data(), split != null ? split : c.data().testSplit());
        Path dir = out != null ? out : Path.of(c.output()).resolve("eval");
        Palette palette = RunData.palette(c.data());
        String what = weights.checkpoint + (weights.adapter == null ? "" : " + adapter " + weights.adapter);
        Path curves = (weights.adapter != null ? weights.adapter.toAbsolutePath().getParent()
                : weights.checkpoint.toAbsolutePath().getParent()).resolve(Trainer.CURVES);
        List<Path> read = new ArrayList<>(TestSetPredictions.files(test));
        read.add(weights.checkpoint);
        read.add(curves);
        InputFiles inputs = InputFiles.of(read);
        // Before any work: a report file must not replace a file the command reads (e.g. --out is a data folder).
        for (String name : List.of(EvalReport.METRICS, EvalReport.MARKDOWN, EvalReport.HTML, EvalReport.MATRIX_CSV,
                EvalReport.MATRIX_PNG, EvalReport.CLASS_CHART, EvalReport.OVERLAYS, EvalReport.PR_CURVE)) {
            inputs.refuseOverwrite(dir.resolve(name), "choose an --out folder away from the data and the model");
        }
        try (NDManager m = EngineSetup.newManager()) {
            TrainedModel tm = weights.load(c, test.numClasses(), m);
            if (tm.classes() != test.numClasses()) {
                throw new IllegalArgumentException(what + " predicts " + tm.classes() + " classes but "
                        + test.name() + " has " + test.numClasses() + " " + test.classNames());
            }
            TestSetPredictions.Result res;
            String inference;
            String chosenOn = null;
            ImageVerdicts verdicts;
            try (Predictor p = SegmentationNet.predictor(c, tm.model(), tileBatch, tiles.logitAdjust).build()) {
                inference = inference(p);
                console.println("Inference " + inference);
                if (fromValidation) {
                    ImageVerdicts onVal = new ImageVerdicts(val.numClasses(), chooseOn.endsWith("%")
                            ? new VerdictThreshold(0, true) : VerdictThreshold.ANY_PIXEL);
                    TestSetPredictions.verdicts(p, val, onVal, console);
                    VerdictScores vs = onVal.scores();
                    threshold = vs.bestF1Threshold();
                    chosenOn = val.name();
                    console.printf(Locale.ROOT, "Verdict threshold %s: F1 %.2f on %s (%d images, %d defective)%n",
                            threshold, 100 * vs.bestF1(), val.name(), vs.images(), vs.defective());
                }
                verdicts = new ImageVerdicts(test.numClasses(), threshold);
                res = TestSetPredictions.run(p, test, palette, dir.resolve("predictions"), inputs, overlays,
                        verdicts, console);
            }
            boolean hasCurves = Files.isRegularFile(curves);
            Files.createDirectories(dir);
            if (hasCurves) {
                Files.copy(curves, dir.resolve(EvalReport.CURVES), StandardCopyOption.REPLACE_EXISTING);
            }
            VerdictScores v = verdicts.scores();
            new EvalReport(what, test.name(), test.size(), test.classNames(), res.matrix(), hasCurves, v, inference,
                    chosenOn).write(dir);
            PrecisionRecallChart.write(dir.resolve(EvalReport.PR_CURVE), v, "Pass/fail per part, " + test.name());
            ClassScoreChart.write(dir.resolve(EvalReport.CLASS_CHART), test.classNames(), res.matrix().scores(),
                    "Per-class scores, " + test.name());
            ConfusionMatrixImage.write(dir.resolve(EvalReport.MATRIX_PNG), res.matrix(), test.classNames());
            OverlayGrid.write(dir.resolve(EvalReport.OVERLAYS), res.shown(), palette);
            print(console, test, res.matrix().scores(), v, dir);
        }
        return 0;
    }

    /** How the predictor reads an image, for the console and the report. */
    static String inference(Predictor p) {
        SlidingWindow w = p.slidingWindow();
        String mode = w == null ? "letterbox " + p.letterbox().width() + "x" + p.letterbox().height()
                : String.format(Locale.ROOT, "sliding windows %dx%d, overlap %s, scale %s, Hann-blended logits",
                        w.tile(), w.tile(), w.overlap(), w.scale());
        float[] offsets = p.logitOffsets();
        if (offsets == null) {
            return mode;
        }
        StringBuilder s = new StringBuilder(mode).append(", logits shifted by [");
        for (int c = 0; c < offsets.length; c++) {
            s.append(c > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.3f", offsets[c]));
        }
        return s.append("] (class weights' prior taken out)").toString();
    }

    private static void print(PrintStream console, ImageDataset test, SegmentationScores s, VerdictScores v,
            Path dir) {
        console.printf(Locale.ROOT, "%s, %d images: mIoU %.2f  mPA %.2f  mPrecision %.2f  Dice %.2f  accuracy %.2f"
                + " (%%)%n", test.name(), test.size(), 100 * s.meanIou(), 100 * s.meanRecall(),
                100 * s.meanPrecision(), 100 * s.meanDice(), 100 * s.accuracy());
        for (int i = 0; i < test.numClasses(); i++) {
            console.printf(Locale.ROOT, "  %-16s IoU %6.2f  PA %6.2f%n", test.classNames().get(i), 100 * s.iou()[i],
                    100 * s.recall()[i]);
        }
        console.printf(Locale.ROOT, "Parts (defective above %s): precision %.2f  recall %.2f  F1 %.2f  AP %.2f;"
                + " best F1 %.2f above %s on this split (%%)%n", v.threshold(), 100 * v.precision(),
                100 * v.recall(), 100 * v.f1(), 100 * v.averagePrecision(), 100 * v.bestF1(), v.bestF1Threshold());
        console.printf("Report    %s%n", dir.resolve(EvalReport.HTML));
    }
}
