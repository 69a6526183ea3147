package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.detect.BoxJsonl;
import ai.peft4j.app.detect.DetectionData;
import ai.peft4j.app.detect.DetectionModel;
import ai.peft4j.app.detect.DetectionObjective;
import ai.peft4j.app.eval.ConfusionMatrixImage;
import ai.peft4j.app.eval.EvalReport;
import ai.peft4j.app.run.MethodFactory;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.models.florence2.DetectionAnswer;
import ai.peft4j.models.florence2.Florence2Generator;
import ai.peft4j.models.florence2.Florence2Tokenizer;
import ai.peft4j.models.florence2.GenerationConfig;
import ai.peft4j.models.florence2.TaskPrompts;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import ai.peft4j.train.metrics.DetectionAveragePrecision;
import ai.peft4j.train.metrics.DetectionConfusionMatrix;
import ai.peft4j.train.report.EpochRecord;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * {@code finetune}, {@code eval} and {@code predict} for a {@code task: detection} run: Florence-2 reading box JSON
 * lines ({@code data.root/<split>.jsonl}, {@link BoxJsonl}) and writing boxes as text, through the same trainer,
 * run folders, resume and adapters as the other tasks. The base ({@code model.init}) is a Florence-2 checkpoint
 * folder with its tokenizer; {@code model.image_size} is the side images are resized to.
 */
final class DetectionRuns {
    static final String PREDICTIONS = "predictions.jsonl";
    static final String PREDICTIONS_JSON = "predictions.json";
    static final String REPORT = "report.md";
    /** The validation matrix's two classes: the arg-max token is wrong, or right. */
    static final List<String> TOKEN_CLASSES = List.of("wrong_token", "right_token");

    private DetectionRuns() {}

    /** Generation settings of eval and predict. */
    record Generation(int beams, int maxNewTokens) {
        GenerationConfig config(int maxPositions) {
            if (beams < 1 || maxNewTokens < 1) {
                throw new IllegalArgumentException("--beams and --max-new-tokens must be positive, got " + beams
                        + " and " + maxNewTokens);
            }
            return GenerationConfig.florence2().withNumBeams(beams)
                    .withMaxNewTokens(Math.min(maxNewTokens, maxPositions - 1));
        }
    }

    static Path splitFile(RunConfig c, String split) {
        return Path.of(c.data().root()).resolve(split + ".jsonl");
    }

    static int finetune(RunConfigFile rc, PrintStream console, ClassificationRuns.BaseCheck baseCheck)
            throws IOException {
        RunConfig c = rc.config();
        Path base = Path.of(c.model().init());
        Path trainFile = splitFile(c, c.data().trainSplit());
        List<BoxJsonl.Sample> trainSamples = BoxJsonl.read(trainFile);
        Path valFile = c.data().valSplit().isEmpty() ? null : splitFile(c, c.data().valSplit());
        List<BoxJsonl.Sample> valSamples = valFile == null ? null : BoxJsonl.read(valFile);
        Path out = Path.of(c.output());
        try (NDManager m = EngineSetup.newManager(); Florence2Tokenizer tok = Florence2Tokenizer.read(base)) {
            DetectionModel model = DetectionModel.load(base, m);
            int positions = model.config().text().maxPositions();
            tok.requireVocabSize(model.config().text().vocabSize());
            int side = c.model().imageSize();
            DetectionData train = new DetectionData(trainFile, trainSamples, tok, side, positions);
            DetectionData val = valFile == null ? null : new DetectionData(valFile, valSamples, tok, side,
                    positions);
            EngineSetup.seed(c.training().seed());
            PeftMethod pm = MethodFactory.create(c.method().name(), c.method().options(), m);
            Attachment a = pm.attach(model);
            RunData.createRunDirectory(out);
            try (RunFolderLock lock = RunFolderLock.take(out, console)) {
                TrainerConfig tc = RunTraining.trainerConfig(c.training(), TOKEN_CLASSES.size());
                RunTraining.checkResumable(out, c, tc, Set.of("model.init"));
                baseCheck.check(out, base, a.baseFingerprint());
                rc.writeResolved(out, "finetune");
                RunSummary.model(console, pm.name() + " " + MethodRegistry.toJson(pm.config()) + " on Florence-2 "
                        + "from " + base + ", " + side + "x" + side + " images", model);
                console.printf(Locale.ROOT, "Data      %s: %d training samples%s%n", c.data().root(), train.size(),
                        val == null ? ", no validation" : ", " + val.size() + " validation samples");
                List<DetectionData> all = val == null ? List.of(train) : List.of(train, val);
                Trainer.Builder b = Trainer.builder().setModel(model).setConfig(tc).setOutputDir(out)
                        .optConsole(console).optClassNames(TOKEN_CLASSES)
                        .optObjective(new DetectionObjective(model, all))
                        .optMicroBatch(c.training().microBatch())
                        .setTrainData(train.training(c.training().batch(), c.training().seed()));
                if (val != null) {
                    b.optValidationData(val.evaluation(c.training().batch()));
                }
                TrainingResult r = b.build().fit();
                AdapterFiles.save(a, out.resolve("adapter"));
                if (r.bestCheckpoint() != null) {
                    model.loadStateDict(Checkpoint.read(r.bestCheckpoint(), m).modelState(), true);
                    AdapterFiles.save(a, out.resolve("adapter-best"));
                }
                summary(console, r, out);
                if (Double.isFinite(r.meanStepSeconds())) {
                    console.printf(Locale.ROOT, "Steps     %.3f s per training step (mean over this process's "
                            + "steps, batch %d)%n", r.meanStepSeconds(), c.training().batch());
                }
                console.printf(Locale.ROOT, "Adapter   %s%s%n", out.resolve("adapter"),
                        r.bestCheckpoint() == null ? "" : ", best epoch's: " + out.resolve("adapter-best"));
            }
        }
        return 0;
    }

    /** What training did; the best epoch is the lowest validation loss, with its teacher-forced token accuracy. */
    private static void summary(PrintStream console, TrainingResult r, Path out) {
        EpochRecord last = r.history().get(r.history().size() - 1);
        console.printf(Locale.ROOT, "Done: %d epochs (%d in this process), last train loss %.4f%n",
                r.history().size(), r.history().size() - r.resumedFrom(), last.trainLoss());
        if (r.bestCheckpoint() != null) {
            EpochRecord best = r.history().get(r.bestEpoch() - 1);
            console.printf(Locale.ROOT, "Best      epoch %d, validation loss %.4f, token accuracy %.2f %% -> %s%n",
                    r.bestEpoch(), best.valLoss(), 100 * best.scores().accuracy(), r.bestCheckpoint());
        }
        console.printf(Locale.ROOT, "Last      %s%nLog       %s, %s%n", r.lastCheckpoint(), out.resolve(Trainer.LOG),
                out.resolve(Trainer.CURVES));
    }

    /** The base folder with the adapter on it, in eval mode. */
    private static DetectionModel restore(Path base, Path adapter, boolean forceBase, NDManager m)
            throws IOException {
        DetectionModel model = DetectionModel.load(base, m);
        if (adapter != null) {
            AdapterFiles.load(adapter, model, m, AdapterFiles.LoadOptions.forced(forceBase));
        }
        model.eval();
        return model;
    }

    /** One image's generated answer: the decoded text and its boxes in the image's pixels. */
    record Answer(String text, DetectionAnswer boxes) {}

    static Answer generate(DetectionModel model, Florence2Tokenizer tok, Florence2Generator gen, NDManager m,
            Path image, String prefix, int side) {
        int[] size = ImageDecoder.probe(image);
        try (NDManager tmp = m.newSubManager()) {
            float[] px = new DetectionData.Pixels(side).of(image);
            NDArray x = DetectionObjective.normalise(tmp.create(px, new Shape(1, 3, side, side)));
            long[] prompt = tok.encode(TaskPrompts.construct(prefix));
            NDArray ids = tmp.create(prompt, new Shape(1, prompt.length));
            long[] out = NoGradient.run(() -> gen.generate(x, ids));
            String text = tok.decode(out);
            return new Answer(text, DetectionAnswer.parse(text, size[0], size[1]));
        }
    }

    static int eval(RunConfig c, Path base, Path adapter, boolean forceBase, Path out, String split,
            Generation g, PrintStream console) throws IOException {
        Path file = splitFile(c, split != null ? split : c.data().testSplit());
        List<BoxJsonl.Sample> samples = BoxJsonl.read(file);
        Path dir = out != null ? out : Path.of(c.output()).resolve("eval");
        List<Path> read = new ArrayList<>(samples.stream().map(BoxJsonl.Sample::image).toList());
        read.add(file);
        InputFiles inputs = InputFiles.of(read);
        for (String name : List.of("metrics.json", PREDICTIONS, REPORT, EvalReport.MATRIX_PNG)) {
            inputs.refuseOverwrite(dir.resolve(name), "choose an --out folder away from the data and the model");
        }
        DetectionAveragePrecision ap = new DetectionAveragePrecision();
        TreeSet<String> truthClasses = new TreeSet<>();
        for (BoxJsonl.Sample s : samples) {
            truthClasses.addAll(DetectionAnswer.parse(s.suffix(), s.width(), s.height()).labels());
        }
        if (truthClasses.isEmpty()) {
            throw new IllegalArgumentException(file + ": no ground-truth box in any line; nothing to score");
        }
        DetectionConfusionMatrix confusion = new DetectionConfusionMatrix(new ArrayList<>(truthClasses));
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        long t0 = System.nanoTime();
        try (NDManager m = EngineSetup.newManager(); Florence2Tokenizer tok = Florence2Tokenizer.read(base)) {
            DetectionModel model = restore(base, adapter, forceBase, m);
            tok.requireVocabSize(model.config().text().vocabSize());
            Florence2Generator gen = new Florence2Generator(model, g.config(model.config().text().maxPositions()));
            for (BoxJsonl.Sample s : samples) {
                DetectionAnswer truth = DetectionAnswer.parse(s.suffix(), s.width(), s.height());
                Answer a = generate(model, tok, gen, m, s.image(), s.prefix(), c.model().imageSize());
                double[] scores = new double[a.boxes().boxes().size()];
                Arrays.fill(scores, 1.0);
                ap.addImage(truth.labels(), truth.boxes(), a.boxes().labels(), a.boxes().boxes(), scores);
                confusion.addImage(truth.labels(), truth.boxes(), a.boxes().labels(), a.boxes().boxes());
                ObjectNode l = json.createObjectNode().put("image", s.image().toString()).put("line", s.line())
                        .put("answer", a.text()).put("truth", s.suffix());
                lines.append(json.writeValueAsString(l)).append('\n');
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode j = json.createObjectNode();
        j.put("task", "detection").put("model", base.toString());
        if (adapter != null) {
            j.put("adapter", adapter.toString());
        }
        j.put("data", file.toString()).put("images", samples.size()).put("beams", g.beams())
                .put("max_new_tokens", g.maxNewTokens())
                .put("map50", ap.meanAveragePrecision(0.5)).put("map50_95", ap.meanAveragePrecisionCoco())
                .put("scores", "every generated box scores 1, as the published evaluation does")
                .put("seconds", seconds);
        ArrayNode per = j.putArray("per_class");
        for (String name : ap.classes()) {
            per.addObject().put("class", name).put("truth_boxes", ap.truthCount(name))
                    .put("detections", ap.detectionCount(name)).put("ap50", ap.averagePrecision(name, 0.5))
                    .put("ap50_95", ap.averagePrecisionCoco(name));
        }
        ObjectNode cm = j.putObject("confusion_matrix");
        cm.put("convention", "supervision's ConfusionMatrix, as the published evaluation: rows ground truth, "
                + "columns prediction, background last; truth and detection match when their IoU exceeds "
                + DetectionConfusionMatrix.IOU_THRESHOLD + " whatever their labels, each detection keeping its best "
                + "truth, then each truth its best detection; unmatched truths are misses (column background), "
                + "unmatched detections false alarms (row background)");
        cm.put("iou_threshold", DetectionConfusionMatrix.IOU_THRESHOLD);
        ArrayNode names = cm.putArray("labels");
        confusion.names().forEach(names::add);
        ArrayNode rows = cm.putArray("counts");
        for (long[] row : confusion.matrix().toArray()) {
            ArrayNode r = rows.addArray();
            for (long v : row) {
                r.add(v);
            }
        }
        cm.put("detections_outside_classes", confusion.detectionsOutsideClasses());
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve("metrics.json"), o -> o.write(j.toPrettyString()
                .getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(dir.resolve(PREDICTIONS), o -> o.write(lines.toString().getBytes(StandardCharsets.UTF_8)));
        ConfusionMatrixImage.write(dir.resolve(EvalReport.MATRIX_PNG), confusion.matrix(), confusion.names());
        String report = report(file, samples.size(), ap, confusion);
        AtomicFiles.write(dir.resolve(REPORT), o -> o.write(report.getBytes(StandardCharsets.UTF_8)));
        console.printf(Locale.ROOT, "%s, %d images: mAP@0.5 %.4f  mAP@[.5:.95] %.4f (%.1f s)%n", file,
                samples.size(), ap.meanAveragePrecision(0.5), ap.meanAveragePrecisionCoco(), seconds);
        for (String name : ap.classes()) {
            console.printf(Locale.ROOT, "  %-16s %4d boxes, %4d detected, AP50 %.4f  AP50:95 %.4f%n", name,
                    ap.truthCount(name), ap.detectionCount(name), ap.averagePrecision(name, 0.5),
                    ap.averagePrecisionCoco(name));
        }
        console.print(matrixTable(confusion));
        console.printf("Report    %s, %s, %s, %s%n", dir.resolve("metrics.json"), dir.resolve(REPORT),
                dir.resolve(EvalReport.MATRIX_PNG), dir.resolve(PREDICTIONS));
        return 0;
    }

    /** The confusion matrix as a Markdown table, truth by row. */
    static String matrixTable(DetectionConfusionMatrix confusion) {
        StringBuilder t = new StringBuilder("| truth \\ prediction |");
        List<String> names = confusion.names();
        names.forEach(n -> t.append(' ').append(n).append(" |"));
        t.append("\n|---|").append("---:|".repeat(names.size())).append('\n');
        long[][] counts = confusion.matrix().toArray();
        for (int i = 0; i < names.size(); i++) {
            t.append("| ").append(names.get(i)).append(" |");
            for (long v : counts[i]) {
                t.append(' ').append(v).append(" |");
            }
            t.append('\n');
        }
        return t.toString();
    }

    private static String report(Path file, int images, DetectionAveragePrecision ap,
            DetectionConfusionMatrix confusion) {
        StringBuilder r = new StringBuilder("# Detection evaluation\n\n");
        r.append(String.format(Locale.ROOT, "%s, %d images: mAP@0.5 %.4f, mAP@[.5:.95] %.4f (COCO-style; every "
                + "generated box scores 1).%n%n", file, images, ap.meanAveragePrecision(0.5),
                ap.meanAveragePrecisionCoco()));
        r.append("| class | truth boxes | detections | AP50 | AP50:95 |\n|---|---:|---:|---:|---:|\n");
        for (String name : ap.classes()) {
            r.append(String.format(Locale.ROOT, "| %s | %d | %d | %.4f | %.4f |%n", name, ap.truthCount(name),
                    ap.detectionCount(name), ap.averagePrecision(name, 0.5), ap.averagePrecisionCoco(name)));
        }
        r.append("\n## Confusion matrix\n\nBoxes matched at IoU above 0.5 whatever their labels (supervision's "
                + "convention, as the published evaluation); background row: false alarms, background column: "
                + "misses.");
        if (confusion.detectionsOutsideClasses() > 0) {
            r.append(' ').append(confusion.detectionsOutsideClasses()).append(" detections with a label outside "
                    + "the classes are left out.");
        }
        r.append("\n\n").append(matrixTable(confusion)).append("\n![confusion matrix](")
                .append(EvalReport.MATRIX_PNG).append(")\n");
        return r.toString();
    }

    static int predict(RunConfig c, List<Path> images, Path base, Path adapter, boolean forceBase, Path out,
            String prompt, Generation g, PrintStream console) throws IOException {
        if (TaskPrompts.taskOf(prompt).isEmpty()) {
            throw new IllegalArgumentException("--prompt '" + prompt + "' holds no Florence-2 task token (e.g. <OD>)");
        }
        List<Path> read = new ArrayList<>(images);
        InputFiles inputs = InputFiles.of(read);
        inputs.refuseOverwrite(out.resolve(PREDICTIONS_JSON), "choose an --out folder that holds no inputs");
        for (Path image : images) {
            inputs.refuseOverwrite(out.resolve(pngName(image)), "choose an --out folder that holds no inputs");
        }
        ObjectMapper json = new ObjectMapper();
        ArrayNode all = json.createArrayNode();
        Files.createDirectories(out);
        try (NDManager m = EngineSetup.newManager(); Florence2Tokenizer tok = Florence2Tokenizer.read(base)) {
            DetectionModel model = restore(base, adapter, forceBase, m);
            tok.requireVocabSize(model.config().text().vocabSize());
            Florence2Generator gen = new Florence2Generator(model, g.config(model.config().text().maxPositions()));
            for (Path image : images) {
                Answer a = generate(model, tok, gen, m, image, prompt, c.model().imageSize());
                BufferedImage drawn = draw(ImageDecoder.decode(image), a.boxes());
                Path png = out.resolve(pngName(image));
                AtomicFiles.write(png, o -> ImageIO.write(drawn, "png", o));
                ObjectNode item = all.addObject().put("image", image.toString()).put("drawn", png.toString())
                        .put("answer", a.text());
                ArrayNode boxes = item.putArray("boxes");
                for (int i = 0; i < a.boxes().boxes().size(); i++) {
                    float[] b = a.boxes().boxes().get(i);
                    ObjectNode o = boxes.addObject().put("label", a.boxes().labels().get(i));
                    ArrayNode xyxy = o.putArray("xyxy");
                    for (float v : b) {
                        xyxy.add(v);
                    }
                }
                console.printf(Locale.ROOT, "%s: %d boxes -> %s%n", image.getFileName(), a.boxes().boxes().size(),
                        png);
            }
        }
        AtomicFiles.write(out.resolve(PREDICTIONS_JSON), o -> o.write(all.toPrettyString()
                .getBytes(StandardCharsets.UTF_8)));
        console.printf("Wrote     %s%n", out.resolve(PREDICTIONS_JSON));
        return 0;
    }

    static String pngName(Path image) {
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name) + "_boxes.png";
    }

    /** The image with each box outlined and its label written above it, one colour per label. */
    static BufferedImage draw(BufferedImage src, DetectionAnswer a) {
        BufferedImage img = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.drawImage(src, 0, 0, null);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            float stroke = Math.max(1f, Math.min(img.getWidth(), img.getHeight()) / 200f);
            g.setStroke(new BasicStroke(stroke));
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(10, Math.round(stroke * 11))));
            for (int i = 0; i < a.boxes().size(); i++) {
                float[] b = a.boxes().get(i);
                String label = a.labels().get(i);
                Color colour = Color.getHSBColor((Math.floorMod(label.hashCode(), 360)) / 360f, 0.9f, 1f);
                g.setColor(colour);
                int x = Math.round(b[0]);
                int y = Math.round(b[1]);
                g.drawRect(x, y, Math.max(1, Math.round(b[2] - b[0])), Math.max(1, Math.round(b[3] - b[1])));
                int textY = y - 3 < g.getFontMetrics().getAscent() ? y + g.getFontMetrics().getAscent() + 2 : y - 3;
                g.drawString(label.isEmpty() ? "?" : label, x + 2, textY);
            }
        } finally {
            g.dispose();
        }
        return img;
    }
}
