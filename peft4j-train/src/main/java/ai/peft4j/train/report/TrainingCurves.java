package ai.peft4j.train.report;

import ai.peft4j.core.state.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
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

/**
 * The training curves as one PNG of three panels: train and validation loss, validation metrics (mIoU, mPA, pixel
 * accuracy) and the learning rate, by epoch.
 */
public final class TrainingCurves {
    private static final int PANEL_W = 520;
    private static final int PANEL_H = 380;

    private TrainingCurves() {}

    public static void write(Path file, List<EpochRecord> history, String title) throws IOException {
        // Charts are drawn off-screen; without this, AWT may look for a display.
        System.setProperty("java.awt.headless", "true");
        List<XYChart> charts = List.of(lossChart(history, title), metricChart(history), lrChart(history));
        BufferedImage image = new BufferedImage(PANEL_W * charts.size(), PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < charts.size(); i++) {
                g.drawImage(BitmapEncoder.getBufferedImage(charts.get(i)), i * PANEL_W, 0, null);
            }
        } finally {
            g.dispose();
        }
        AtomicFiles.write(file, out -> ImageIO.write(image, "png", out));
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(PANEL_W).height(PANEL_H).title(title).xAxisTitle("epoch")
                .yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesVisible(true);
        c.getStyler().setXAxisDecimalPattern("#");
        return c;
    }

    private static XYChart lossChart(List<EpochRecord> history, String title) {
        XYChart c = chart(title == null || title.isEmpty() ? "Loss" : "Loss - " + title, "loss");
        add(c, "train loss", history, r -> r.trainLoss(), new Color(200, 40, 40));
        add(c, "val loss", history, r -> r.valLoss(), new Color(240, 140, 60));
        return c;
    }

    private static XYChart metricChart(List<EpochRecord> history) {
        XYChart c = chart("Validation", "score");
        add(c, "mIoU", history, r -> r.scores() == null ? null : r.scores().meanIou(), new Color(30, 90, 200));
        add(c, "mPA", history, r -> r.scores() == null ? null : r.scores().meanRecall(), new Color(40, 160, 80));
        add(c, "accuracy", history, r -> r.scores() == null ? null : r.scores().accuracy(), new Color(120, 120, 120));
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(1.0);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        return c;
    }

    private static XYChart lrChart(List<EpochRecord> history) {
        XYChart c = chart("Learning rate", "lr");
        c.getStyler().setYAxisDecimalPattern("0.0E0");
        add(c, "lr", history, r -> r.learningRate(), new Color(110, 60, 170));
        return c;
    }

    private interface Value {
        Double of(EpochRecord r);
    }

    /** Adds a series of the epochs that have a value; none is added when no epoch has one. */
    private static void add(XYChart c, String name, List<EpochRecord> history, Value value, Color color) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (EpochRecord r : history) {
            Double v = value.of(r);
            if (v != null && Double.isFinite(v)) {
                xs.add((double) r.epoch());
                ys.add(v);
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        XYSeries s = c.addSeries(name, xs, ys);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(xs.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
}
