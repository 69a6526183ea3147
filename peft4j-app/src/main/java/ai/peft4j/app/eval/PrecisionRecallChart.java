package ai.peft4j.app.eval;

import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.train.metrics.VerdictScores;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The image-level precision-recall curve as steps (the curve AP sums over), with the threshold in use marked. */
public final class PrecisionRecallChart {
    private PrecisionRecallChart() {}

    public static void write(Path file, VerdictScores s, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(640).height(480).title(title).xAxisTitle("recall (defective "
                + "parts found)").yAxisTitle("precision (rejected parts truly defective)").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(1.0);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        List<Double> recall = new ArrayList<>();
        List<Double> precision = new ArrayList<>();
        for (VerdictScores.Point p : s.curve()) {
            recall.add(p.recall());
            precision.add(p.precision());
        }
        if (recall.isEmpty()) {
            recall.add(0.0);
            precision.add(0.0);
        }
        XYSeries curve = chart.addSeries(String.format(java.util.Locale.ROOT, "AP %.3f", s.averagePrecision()),
                recall, precision);
        curve.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        curve.setLineColor(new Color(30, 90, 200));
        curve.setMarkerColor(new Color(30, 90, 200));
        curve.setMarker(recall.size() <= 50 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        XYSeries used = chart.addSeries("threshold " + s.threshold(), List.of(s.recall()), List.of(s.precision()));
        used.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        used.setMarker(SeriesMarkers.DIAMOND);
        used.setMarkerColor(new Color(200, 40, 40));
        AtomicFiles.write(file, out -> ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", out));
    }
}
