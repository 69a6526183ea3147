package ai.peft4j.train.report;

import ai.peft4j.core.state.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The picture of a method comparison: mIoU against trainable parameters (log scale), one series per target. */
public final class EfficiencyChart {
    private EfficiencyChart() {}

    /** One method's result on one target. */
    public record Point(String target, String method, long trainable, double miou) {}

    /** Writes the chart as PNG, through a temporary file so that it appears complete or not at all. */
    public static void write(Path file, List<Point> points, String title) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
                .xAxisTitle("trainable parameters (log scale)").yAxisTitle("test mIoU (%)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(11);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        Map<String, List<Point>> byTarget = new LinkedHashMap<>();
        for (Point p : points) {
            byTarget.computeIfAbsent(p.target(), k -> new ArrayList<>()).add(p);
        }
        for (Map.Entry<String, List<Point>> e : byTarget.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(p -> Math.max(1, p.trainable())).toArray();
            double[] y = e.getValue().stream().mapToDouble(p -> 100 * p.miou()).toArray();
            XYSeries s = chart.addSeries(e.getKey(), x, y);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        for (Point p : points) {
            chart.addAnnotation(new org.knowm.xchart.AnnotationText(p.method(), Math.max(1, p.trainable()),
                    100 * p.miou() + 1.2, false));
        }
        BufferedImage image = BitmapEncoder.getBufferedImage(chart);
        AtomicFiles.write(file, out -> ImageIO.write(image, "png", out));
    }
}
