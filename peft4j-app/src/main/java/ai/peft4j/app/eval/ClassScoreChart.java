package ai.peft4j.app.eval;

import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.core.state.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Per-class IoU, PA and Dice as grouped bars, in percent. */
public final class ClassScoreChart {
    private ClassScoreChart() {}

    public static void write(Path file, List<String> classNames, SegmentationScores s, String title)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(640, 140 * classNames.size())).height(420)
                .title(title).xAxisTitle("class").yAxisTitle("%").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        chart.getStyler().setSeriesColors(new Color[] {new Color(30, 90, 200), new Color(40, 160, 80),
            new Color(240, 140, 60)});
        chart.addSeries("IoU", classNames, percent(s.iou()));
        chart.addSeries("PA (recall)", classNames, percent(s.recall()));
        chart.addSeries("Dice", classNames, percent(s.dice()));
        AtomicFiles.write(file, out -> ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", out));
    }

    private static List<Double> percent(double[] v) {
        List<Double> out = new ArrayList<>();
        for (double x : v) {
            out.add(100 * x);
        }
        return out;
    }
}
