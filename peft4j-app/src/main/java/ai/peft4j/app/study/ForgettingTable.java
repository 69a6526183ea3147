package ai.peft4j.app.study;

import ai.peft4j.core.state.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The rows of a forgetting study (peft-vit's table): per run, the target's test top-1 after adaptation and the
 * source task's weighted k-NN top-1 on the adapted features, with trainable parameters and seconds. Rows are
 * appended to {@code rows.jsonl} as each run finishes, so a study stopped half-way resumes after its last finished
 * run; {@code forgetting.md}, {@code forgetting.json} and {@code forgetting.png} are rewritten from them.
 */
public final class ForgettingTable {
    public static final String ROWS = "rows.jsonl";
    public static final String MARKDOWN = "forgetting.md";
    public static final String JSON = "forgetting.json";
    public static final String CHART = "forgetting.png";

    /**
     * One run.
     *
     * @param run the run's folder name, its key when resuming
     * @param method what the table shows, e.g. {@code LoRA r 8}
     * @param trainable trainable parameters while adapting
     * @param total parameters of the adapted model
     * @param targetTop1 target test top-1 (NaN for the pretrained base)
     * @param sourceKnn source test top-1 of the weighted k-NN by k, adapter on
     * @param sourceKnnOff the same with the adapter off (empty when there is no adapter)
     * @param seconds training seconds
     */
    public record Row(String run, String method, long trainable, long total, double targetTop1,
            Map<Integer, Double> sourceKnn, Map<Integer, Double> sourceKnnOff, double seconds) {
        public Row {
            sourceKnn = new TreeMap<>(sourceKnn);
            sourceKnnOff = new TreeMap<>(sourceKnnOff);
        }

        ObjectNode toJson() {
            ObjectNode j = new ObjectMapper().createObjectNode();
            j.put("run", run).put("method", method).put("trainable", trainable).put("total", total);
            if (Double.isNaN(targetTop1)) {
                j.putNull("target_top1");
            } else {
                j.put("target_top1", targetTop1);
            }
            ObjectNode on = j.putObject("source_knn_top1");
            sourceKnn.forEach((k, v) -> on.put(Integer.toString(k), v));
            ObjectNode off = j.putObject("source_knn_top1_adapter_off");
            sourceKnnOff.forEach((k, v) -> off.put(Integer.toString(k), v));
            return j.put("seconds", seconds);
        }

        static Row of(JsonNode j) {
            return new Row(j.path("run").asText(), j.path("method").asText(), j.path("trainable").asLong(),
                    j.path("total").asLong(), j.path("target_top1").isNull() ? Double.NaN
                    : j.path("target_top1").asDouble(), knn(j.path("source_knn_top1")),
                    knn(j.path("source_knn_top1_adapter_off")), j.path("seconds").asDouble());
        }

        private static Map<Integer, Double> knn(JsonNode j) {
            Map<Integer, Double> out = new TreeMap<>();
            j.fields().forEachRemaining(e -> out.put(Integer.parseInt(e.getKey()), e.getValue().asDouble()));
            return out;
        }
    }

    private ForgettingTable() {}

    /** The rows finished so far, by run name, in the order they finished; empty when there are none. */
    public static Map<String, Row> read(Path out) throws IOException {
        Map<String, Row> rows = new LinkedHashMap<>();
        Path f = out.resolve(ROWS);
        if (!Files.isRegularFile(f)) {
            return rows;
        }
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                Row r = Row.of(json.readTree(line));
                rows.put(r.run(), r);
            } catch (IOException e) {
                if (i == lines.size() - 1) {
                    // A line cut short by a stop in mid-write: that run is done again.
                    break;
                }
                throw new IllegalArgumentException(f + ": line " + (i + 1) + " is not a row (" + e.getMessage()
                        + "); remove it to run that part again");
            }
        }
        return rows;
    }

    /** Appends one finished row to {@code rows.jsonl} (one line, flushed to disk). */
    public static void append(Path out, Row r) throws IOException {
        Files.writeString(out.resolve(ROWS), r.toJson().toString() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.SYNC);
    }

    /**
     * The Markdown table: source k-NN top-1 at {@code k} with the adapter on, and the mean of it and the target's
     * top-1 (peft-vit's summary of the trade-off).
     *
     * @param heading the line above the table (the command, when and where), or null
     */
    public static String markdown(List<Row> rows, int k, String heading) {
        StringBuilder md = new StringBuilder();
        if (heading != null) {
            md.append(heading).append("\n\n");
        }
        md.append(String.format(Locale.ROOT, "| method | trainable parameters | %% of model | target top-1 | source "
                + "k-NN top-1 (k %d), adapter on | mean | source k-NN top-1, adapter off | training seconds |%n", k));
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            Double on = r.sourceKnn().get(k);
            Double off = r.sourceKnnOff().get(k);
            md.append(String.format(Locale.ROOT, "| %s | %,d | %.2f | %s | %s | %s | %s | %.0f |%n", r.method(),
                    r.trainable(), 100.0 * r.trainable() / r.total(), percent(r.targetTop1()), percent(on),
                    Double.isNaN(r.targetTop1()) || on == null ? "" : percent((r.targetTop1() + on) / 2),
                    percent(off), r.seconds()));
        }
        return md.toString();
    }

    /** Writes {@code forgetting.md}, {@code forgetting.json} and {@code forgetting.png} from {@code rows}. */
    public static void write(Path out, List<Row> rows, int k, String heading, ObjectNode settings)
            throws IOException {
        String md = markdown(rows, k, heading);
        AtomicFiles.write(out.resolve(MARKDOWN), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.set("settings", settings);
        root.put("table_k", k);
        ArrayNode a = root.putArray("rows");
        rows.forEach(r -> a.add(r.toJson()));
        AtomicFiles.write(out.resolve(JSON), o -> o.write(root.toPrettyString().getBytes(StandardCharsets.UTF_8)));
        chart(out.resolve(CHART), rows, k);
    }

    /** Source k-NN top-1 against target top-1, one point per adapted run, as peft-vit's trade-off. */
    static void chart(Path file, List<Row> rows, int k) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title("Forgetting: source k-NN top-1 (k " + k
                + ") against target top-1").xAxisTitle("target test top-1 (%)").yAxisTitle("source test k-NN "
                + "top-1, adapter on (%)").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(11);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendVisible(false);
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Row r : rows) {
            Double on = r.sourceKnn().get(k);
            if (Double.isNaN(r.targetTop1()) || on == null) {
                continue;
            }
            xs.add(100 * r.targetTop1());
            ys.add(100 * on);
            labels.add(r.method());
        }
        if (xs.isEmpty()) {
            return;
        }
        // Axes a little wider than the points, so every label (drawn just above its point) stays inside the plot.
        double[] x = padded(xs);
        double[] y = padded(ys);
        chart.getStyler().setXAxisMin(x[0]).setXAxisMax(x[1]).setYAxisMin(y[0]).setYAxisMax(y[1]);
        for (int i = 0; i < xs.size(); i++) {
            chart.addAnnotation(new org.knowm.xchart.AnnotationText(labels.get(i), xs.get(i), ys.get(i)
                    + 0.05 * (y[1] - y[0]), false));
        }
        XYSeries s = chart.addSeries("runs", xs, ys);
        s.setMarker(SeriesMarkers.CIRCLE);
        BufferedImage image = BitmapEncoder.getBufferedImage(chart);
        AtomicFiles.write(file, o -> ImageIO.write(image, "png", o));
    }

    /** The range of {@code v} widened by 12 % of its span (at least 1 point) on each side. */
    private static double[] padded(List<Double> v) {
        double lo = v.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double hi = v.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double pad = Math.max(1, 0.12 * (hi - lo));
        return new double[] {lo - pad, hi + pad};
    }

    private static String percent(Double v) {
        return v == null || Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f", 100 * v);
    }
}
