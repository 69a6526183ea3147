package ai.peft4j.app.eval;

import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.train.metrics.VerdictScores;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
        // Each point's precision holds from the previous point's recall to its own: the area under these steps is
        // the average precision.
        List<Double> stepRecall = new ArrayList<>(List.of(0.0));
        List<Double> stepPrecision = new ArrayList<>(List.of(s.curve().isEmpty() ? 0.0
                : s.curve().get(0).precision()));
        List<Double> recall = new ArrayList<>();
        List<Double> precision = new ArrayList<>();
        for (VerdictScores.Point p : s.curve()) {
            stepRecall.add(stepRecall.get(stepRecall.size() - 1));
            stepPrecision.add(p.precision());
            stepRecall.add(p.recall());
            stepPrecision.add(p.precision());
            recall.add(p.recall());
            precision.add(p.precision());
        }
        Color blue = new Color(30, 90, 200);
        XYSeries curve = chart.addSeries(Double.isNaN(s.averagePrecision()) ? "no defective part"
                : String.format(Locale.ROOT, "AP %.3f", s.averagePrecision()), stepRecall, stepPrecision);
        curve.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        curve.setLineColor(blue);
        curve.setMarker(SeriesMarkers.NONE);
        if (!recall.isEmpty() && recall.size() <= 200) {
            XYSeries points = chart.addSeries("thresholds", recall, precision);
            points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            points.setMarker(SeriesMarkers.CIRCLE);
            points.setMarkerColor(blue);
        }
        XYSeries used = chart.addSeries("threshold " + s.threshold(), List.of(s.recall()), List.of(s.precision()));
        used.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        used.setMarker(SeriesMarkers.DIAMOND);
        used.setMarkerColor(new Color(200, 40, 40));
        AtomicFiles.write(file, out -> ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", out));
    }
}
