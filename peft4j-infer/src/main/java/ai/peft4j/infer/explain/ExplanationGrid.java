package ai.peft4j.infer.explain;

import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.image.RgbImage;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * One picture of an image's explanation: a row per module, and in each row the image, the prediction and the
 * module's heat map of each class, every tile scaled to fit {@value #TILE} pixels.
 */
public final class ExplanationGrid {
    static final int TILE = 160;
    private static final int GAP = 6;
    private static final int LABEL = 18;

    private ExplanationGrid() {}

    /** The grid's width and height for {@code modules} rows and {@code classes} map columns. */
    public static int[] size(int modules, int classes) {
        int columns = 2 + classes;
        return new int[] {columns * TILE + (columns + 1) * GAP, LABEL + Math.max(1, modules) * (LABEL + TILE + GAP)};
    }

    /**
     * @param classes the map columns' headings
     * @param modules the rows' headings
     * @param maps {@code maps[row][column]}: the heat maps over the image
     */
    public static void write(Path file, RgbImage image, RgbImage prediction, List<String> classes,
            List<String> modules, RgbImage[][] maps) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int[] size = size(modules.size(), classes.size());
        BufferedImage img = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            g.drawString("image", GAP, 13);
            g.drawString("prediction", GAP + (TILE + GAP), 13);
            for (int c = 0; c < classes.size(); c++) {
                g.drawString(classes.get(c), GAP + (c + 2) * (TILE + GAP), 13);
            }
            double scale = Math.min((double) TILE / image.width(), (double) TILE / image.height());
            int w = Math.max(1, (int) Math.round(image.width() * scale));
            int h = Math.max(1, (int) Math.round(image.height() * scale));
            BufferedImage picture = toBuffered(image);
            BufferedImage predicted = toBuffered(prediction);
            for (int r = 0; r < Math.max(1, modules.size()); r++) {
                int y = LABEL + r * (LABEL + TILE + GAP);
                g.setColor(Color.BLACK);
                if (r < modules.size()) {
                    g.drawString(modules.get(r), GAP, y + 13);
                }
                g.drawImage(picture, GAP, y + LABEL, w, h, null);
                g.drawImage(predicted, GAP + TILE + GAP, y + LABEL, w, h, null);
                for (int c = 0; r < modules.size() && c < classes.size(); c++) {
                    g.drawImage(toBuffered(maps[r][c]), GAP + (c + 2) * (TILE + GAP), y + LABEL, w, h, null);
                }
            }
        } finally {
            g.dispose();
        }
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    private static BufferedImage toBuffered(RgbImage image) {
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                b.setRGB(x, y, image.rgb(x, y));
            }
        }
        return b;
    }
}
