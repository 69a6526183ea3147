package ai.peft4j.app.eval;

import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.state.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The confusion matrix as a picture: ground truth by row, prediction by column, each cell shaded by its share of
 * the row (so that small classes read as clearly as background) and labelled with that share.
 */
public final class ConfusionMatrixImage {
    private static final int CELL = 72;
    private static final int MARGIN = 150;

    private ConfusionMatrixImage() {}

    public static void write(Path file, ConfusionMatrix m, List<String> classNames) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int n = m.numClasses();
        long[][] counts = m.toArray();
        BufferedImage img = new BufferedImage(MARGIN + n * CELL + 20, MARGIN + n * CELL + 20,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            g.setColor(Color.BLACK);
            g.drawString("prediction", MARGIN + n * CELL / 2 - fm.stringWidth("prediction") / 2, 18);
            g.drawString("ground truth (row shares)", 8, MARGIN - 12);
            for (int i = 0; i < n; i++) {
                long row = 0;
                for (int j = 0; j < n; j++) {
                    row += counts[i][j];
                }
                String name = shorten(classNames.get(i), fm, MARGIN - 14);
                g.setColor(Color.BLACK);
                g.drawString(name, 8, MARGIN + i * CELL + CELL / 2 + 4);
                drawVertical(g, shorten(classNames.get(i), fm, MARGIN - 40), MARGIN + i * CELL + CELL / 2 + 4,
                        MARGIN - 8);
                for (int j = 0; j < n; j++) {
                    double share = row == 0 ? 0 : counts[i][j] / (double) row;
                    int shade = (int) Math.round(255 * (1 - share));
                    g.setColor(new Color(shade, shade, 255));
                    int x = MARGIN + j * CELL;
                    int y = MARGIN + i * CELL;
                    g.fillRect(x, y, CELL, CELL);
                    g.setColor(Color.GRAY);
                    g.drawRect(x, y, CELL, CELL);
                    g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                    String text = String.format(Locale.ROOT, "%.1f%%", 100 * share);
                    g.drawString(text, x + CELL / 2 - fm.stringWidth(text) / 2, y + CELL / 2 + 4);
                }
            }
        } finally {
            g.dispose();
        }
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    private static void drawVertical(Graphics2D g, String text, int x, int baseline) {
        Graphics2D r = (Graphics2D) g.create();
        try {
            r.setColor(Color.BLACK);
            r.rotate(-Math.PI / 2, x, baseline);
            r.drawString(text, x, baseline);
        } finally {
            r.dispose();
        }
    }

    private static String shorten(String s, FontMetrics fm, int width) {
        if (fm.stringWidth(s) <= width) {
            return s;
        }
        String t = s;
        while (t.length() > 1 && fm.stringWidth(t + "...") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "...";
    }
}
