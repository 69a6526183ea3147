package ai.peft4j.app.eval;

import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.render.Overlay;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Test images in rows: the image, its ground truth and the prediction, both as colour overlays (alpha 0.6). */
public final class OverlayGrid {
    private static final int TILE = 200;
    private static final int LABEL = 18;

    private OverlayGrid() {}

    public static void write(Path file, List<TestSetPredictions.Shown> shown, Palette palette) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int rows = Math.max(1, shown.size());
        BufferedImage img = new BufferedImage(3 * TILE + 4 * 6, rows * (TILE + LABEL + 6) + LABEL,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            String[] heads = {"image", "ground truth", "prediction"};
            for (int c = 0; c < 3; c++) {
                g.drawString(heads[c], 6 + c * (TILE + 6), 13);
            }
            for (int r = 0; r < shown.size(); r++) {
                TestSetPredictions.Shown s = shown.get(r);
                RgbImage image = s.pair().image();
                RgbImage[] tiles = {image, Overlay.blend(image, s.pair().mask(), palette),
                    Overlay.blend(image, s.prediction(), palette)};
                int y = LABEL + r * (TILE + LABEL + 6);
                g.setColor(Color.BLACK);
                g.drawString(s.pair().id(), 6, y + 13);
                double scale = Math.min((double) TILE / image.width(), (double) TILE / image.height());
                int w = Math.max(1, (int) Math.round(image.width() * scale));
                int h = Math.max(1, (int) Math.round(image.height() * scale));
                for (int c = 0; c < 3; c++) {
                    g.drawImage(toBuffered(tiles[c]), 6 + c * (TILE + 6), y + LABEL, w, h, null);
                }
            }
        } finally {
            g.dispose();
        }
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    static BufferedImage toBuffered(RgbImage image) {
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                b.setRGB(x, y, image.rgb(x, y));
            }
        }
        return b;
    }
}
