package ai.peft4j.app.eval;

import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.text.CsvRow;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files of an evaluation: {@code metrics.json} (means and per-class scores as fractions, the confusion
 * matrix), {@code confusion_matrix.csv}, and {@code report.md} and {@code report.html} showing the same numbers with
 * the pictures beside them (training curves when the run left them, per-class bars, the confusion matrix, the
 * overlay grid), and the image-level verdicts ({@code image_level} in the JSON, the precision-recall curve as
 * {@code pr_curve.png}).
 *
 * @param what the model evaluated, e.g. the checkpoint and adapter
 * @param split the data set and split, e.g. {@code neu-seg/test}
 * @param images images scored
 * @param classNames class names by id
 * @param matrix pixel counts, ground truth by row
 * @param curves whether {@code curves.png} is in the report's folder
 * @param verdicts pass/fail per image
 * @param inference how each image was predicted: the letterbox, or sliding windows for a model trained on crops
 * @param thresholdChosenOn the split on which the verdict threshold in use maximised F1, or null when it was given
 */
public record EvalReport(String what, String split, int images, List<String> classNames, ConfusionMatrix matrix,
        boolean curves, VerdictScores verdicts, String inference, String thresholdChosenOn) {
    public static final String METRICS = "metrics.json";
    public static final String MARKDOWN = "report.md";
    public static final String HTML = "report.html";
    public static final String MATRIX_CSV = "confusion_matrix.csv";
    public static final String MATRIX_PNG = "confusion_matrix.png";
    public static final String CLASS_CHART = "class_scores.png";
    public static final String OVERLAYS = "overlays.png";
    public static final String CURVES = "curves.png";
    public static final String PR_CURVE = "pr_curve.png";

    /** A report whose verdict threshold was given, not chosen on a validation split. */
    public EvalReport(String what, String split, int images, List<String> classNames, ConfusionMatrix matrix,
            boolean curves, VerdictScores verdicts, String inference) {
        this(what, split, images, classNames, matrix, curves, verdicts, inference, null);
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        SegmentationScores s = matrix.scores();
        writeText(dir.resolve(METRICS), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(json(s)) + "\n");
        StringBuilder csv = new StringBuilder();
        List<String> head = new ArrayList<>(List.of("ground_truth\\prediction"));
        head.addAll(classNames);
        csv.append(CsvRow.format(head)).append('\n');
        long[][] counts = matrix.toArray();
        for (int i = 0; i < counts.length; i++) {
            csv.append(CsvRow.field(classNames.get(i)));
            for (long v : counts[i]) {
                csv.append(',').append(v);
            }
            csv.append('\n');
        }
        writeText(dir.resolve(MATRIX_CSV), csv.toString());
        writeText(dir.resolve(MARKDOWN), markdown(s));
        writeText(dir.resolve(HTML), html(s));
    }

    private Map<String, Object> json(SegmentationScores s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", what);
        m.put("split", split);
        m.put("images", images);
        m.put("inference", inference);
        m.put("miou", s.meanIou());
        m.put("mpa", s.meanRecall());
        m.put("mprecision", s.meanPrecision());
        m.put("dice", s.meanDice());
        m.put("accuracy", s.accuracy());
        List<Map<String, Object>> classes = new ArrayList<>();
        for (int i = 0; i < classNames.size(); i++) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", classNames.get(i));
            c.put("iou", s.iou()[i]);
            c.put("pa", s.recall()[i]);
            c.put("precision", s.precision()[i]);
            c.put("dice", s.dice()[i]);
            classes.add(c);
        }
        m.put("per_class", classes);
        m.put("confusion_matrix", matrix.toArray());
        m.put("image_level", imageLevel());
        return m;
    }

    private Map<String, Object> imageLevel() {
        VerdictScores v = verdicts;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", "a part is defective when the predicted area of some defect class exceeds the threshold; "
                + "truly defective when its ground truth has a defect pixel");
        m.put("threshold", v.threshold().value());
        m.put("threshold_unit", unit(v.threshold()));
        m.put("threshold_chosen_on", thresholdChosenOn);
        m.put("images", v.images());
        m.put("defective", v.defective());
        m.put("true_positives", v.truePositives());
        m.put("false_positives", v.falsePositives());
        m.put("precision", v.precision());
        m.put("recall", v.recall());
        m.put("f1", v.f1());
        m.put("ap", finite(v.averagePrecision()));
        m.put("ap_convention", "sklearn average_precision_score: sum of (R_k - R_k-1) P_k over the curve, "
                + "score = largest predicted defect area");
        m.put("best_f1_threshold", v.bestF1Threshold().value());
        m.put("best_f1", v.bestF1());
        m.put("best_f1_chosen_on", split);
        List<Map<String, Object>> classes = new ArrayList<>();
        for (int c = 1; c < classNames.size(); c++) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("name", classNames.get(c));
            k.put("instances", v.instances()[c]);
            k.put("hit", v.instancesHit()[c]);
            k.put("recall", finite(v.instanceRecall()[c]));
            classes.add(k);
        }
        m.put("per_class_instance_recall", classes);
        List<Map<String, Object>> points = new ArrayList<>();
        for (VerdictScores.Point p : v.curve()) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("area_at_least", p.atLeast());
            k.put("threshold", p.threshold());
            k.put("precision", p.precision());
            k.put("recall", p.recall());
            points.add(k);
        }
        m.put("pr_curve", points);
        return m;
    }

    private static String unit(VerdictThreshold t) {
        return t.share() ? "share" : "pixels";
    }

    /** JSON has no NaN: an undefined score is null. */
    private static Double finite(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** The image-level paragraph, the same words in both reports. */
    private String verdictText() {
        VerdictScores v = verdicts;
        return String.format(Locale.ROOT, "A part is called defective when the predicted area of some defect class "
                + "exceeds %s; %d of %d images are defective in truth. At that threshold: precision %.2f, recall "
                + "%.2f, F1 %.2f (%d true, %d false rejections). Average precision %s (sklearn's step-wise sum "
                + "over the curve, scored by the largest predicted defect area). The F1-maximising threshold, chosen "
                + "on this split itself and so optimistic, is %s (F1 %.2f): choose it on a validation split before "
                + "using it on a line.", v.threshold(), v.defective(), v.images(), 100 * v.precision(),
                100 * v.recall(), 100 * v.f1(), v.truePositives(), v.falsePositives(),
                Double.isNaN(v.averagePrecision()) ? "undefined (no defective image)"
                        : String.format(Locale.ROOT, "%.2f", 100 * v.averagePrecision()), v.bestF1Threshold(),
                100 * v.bestF1()) + (thresholdChosenOn == null ? "" : " The threshold in use, " + v.threshold()
                + ", is the one that maximised F1 on the " + thresholdChosenOn + " split.");
    }

    private String instanceRecall(int c) {
        VerdictScores v = verdicts;
        return Double.isNaN(v.instanceRecall()[c]) ? "-" : String.format(Locale.ROOT, "%.2f (%d of %d)",
                100 * v.instanceRecall()[c], v.instancesHit()[c], v.instances()[c]);
    }

    private String markdown(SegmentationScores s) {
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation of ").append(what).append("\n\n");
        md.append(String.format(Locale.ROOT, "%s, %d images, metrics at each image's own size; %s.%n%n", split,
                images, inference));
        md.append("| mIoU | mPA | mPrecision | Dice | accuracy |\n|---:|---:|---:|---:|---:|\n");
        md.append(String.format(Locale.ROOT, "| %.2f | %.2f | %.2f | %.2f | %.2f |%n%n", 100 * s.meanIou(),
                100 * s.meanRecall(), 100 * s.meanPrecision(), 100 * s.meanDice(), 100 * s.accuracy()));
        md.append("| class | IoU | PA | precision | Dice |\n|---|---:|---:|---:|---:|\n");
        for (int i = 0; i < classNames.size(); i++) {
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f |%n", classNames.get(i),
                    100 * s.iou()[i], 100 * s.recall()[i], 100 * s.precision()[i], 100 * s.dice()[i]));
        }
        md.append("\nAll figures in percent. Means are over all classes, background included, as published.\n\n");
        md.append("## Pass/fail per part\n\n").append(verdictText()).append("\n\n");
        md.append("| defect class | instances found (8-connected regions hit by a pixel of their class) |\n"
                + "|---|---:|\n");
        for (int c = 1; c < classNames.size(); c++) {
            md.append("| ").append(classNames.get(c)).append(" | ").append(instanceRecall(c)).append(" |\n");
        }
        md.append("\n![precision-recall curve](").append(PR_CURVE).append(")\n\n");
        if (curves) {
            md.append("## Training curves\n\n![training curves](").append(CURVES).append(")\n\n");
        }
        md.append("## Per-class scores\n\n![per-class scores](").append(CLASS_CHART).append(")\n\n");
        md.append("## Confusion matrix\n\n![confusion matrix](").append(MATRIX_PNG).append(")\n\n")
                .append("Pixel counts: [").append(MATRIX_CSV).append("](").append(MATRIX_CSV).append(")\n\n");
        md.append("## First test images\n\n![overlays](").append(OVERLAYS).append(")\n");
        return md.toString();
    }

    private String html(SegmentationScores s) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Evaluation of ").append(esc(what))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
                        + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;"
                        + "text-align:right}td:first-child,th:first-child{text-align:left}img{max-width:100%}"
                        + "</style></head><body>\n");
        h.append("<h1>Evaluation of ").append(esc(what)).append("</h1>\n");
        h.append(String.format(Locale.ROOT, "<p>%s, %d images, metrics at each image's own size; %s.</p>%n",
                esc(split), images, esc(inference)));
        h.append("<table><tr><th>mIoU</th><th>mPA</th><th>mPrecision</th><th>Dice</th><th>accuracy</th></tr>");
        h.append(String.format(Locale.ROOT, "<tr><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>"
                + "</tr></table>%n", 100 * s.meanIou(), 100 * s.meanRecall(), 100 * s.meanPrecision(),
                100 * s.meanDice(), 100 * s.accuracy()));
        h.append("<table><tr><th>class</th><th>IoU</th><th>PA</th><th>precision</th><th>Dice</th></tr>\n");
        for (int i = 0; i < classNames.size(); i++) {
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>"
                    + "<td>%.2f</td></tr>%n", esc(classNames.get(i)), 100 * s.iou()[i], 100 * s.recall()[i],
                    100 * s.precision()[i], 100 * s.dice()[i]));
        }
        h.append("</table>\n<p>All figures in percent. Means are over all classes, background included.</p>\n");
        h.append("<h2>Pass/fail per part</h2><p>").append(esc(verdictText())).append("</p>\n");
        h.append("<table><tr><th>defect class</th><th>instances found</th></tr>\n");
        for (int c = 1; c < classNames.size(); c++) {
            h.append("<tr><td>").append(esc(classNames.get(c))).append("</td><td>").append(instanceRecall(c))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n<img src=\"").append(PR_CURVE).append("\" alt=\"precision-recall curve\">\n");
        if (curves) {
            h.append("<h2>Training curves</h2><img src=\"").append(CURVES).append("\" alt=\"training curves\">\n");
        }
        h.append("<h2>Per-class scores</h2><img src=\"").append(CLASS_CHART).append("\" alt=\"per-class\">\n");
        h.append("<h2>Confusion matrix</h2><img src=\"").append(MATRIX_PNG).append("\" alt=\"confusion matrix\">\n")
                .append("<p>Pixel counts: <a href=\"").append(MATRIX_CSV).append("\">").append(MATRIX_CSV)
                .append("</a></p>\n");
        h.append("<h2>First test images</h2><img src=\"").append(OVERLAYS).append("\" alt=\"overlays\">\n");
        h.append("</body></html>\n");
        return h.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void writeText(Path file, String text) throws IOException {
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
