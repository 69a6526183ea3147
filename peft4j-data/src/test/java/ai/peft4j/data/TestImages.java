package ai.peft4j.data;

import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/** Small image and mask files for tests, good and deliberately broken. */
public final class TestImages {
    private TestImages() {}

    /** A w x h image whose pixel (x, y) is (10 x, 10 y, 100): every pixel tells where it came from. */
    public static RgbImage gradient(int w, int h) {
        byte[] p = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x);
                p[i] = (byte) (10 * x);
                p[i + 1] = (byte) (10 * y);
                p[i + 2] = 100;
            }
        }
        return new RgbImage(w, h, p);
    }

    public static void jpeg(Path file, int w, int h) throws IOException {
        ImageEncoder.writeJpeg(gradient(w, h), file, 0.95f);
    }

    /** An index PNG mask of one value everywhere but pixel (0, 0), which holds {@code corner}. */
    public static void mask(Path file, int w, int h, int value, int corner) throws IOException {
        int[] m = new int[w * h];
        Arrays.fill(m, value);
        m[0] = corner;
        ImageEncoder.writeIndexPng(m, w, h, Palette.voc(), file);
    }

    /** A grey-and-alpha PNG (two channels). */
    public static void greyAlphaPng(Path file, int w, int h) throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
        BufferedImage img = new BufferedImage(cm, raster, false, null);
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer for grey and alpha");
        }
    }

    /** A 16-bit grey PNG. */
    public static void grey16Png(Path file, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSample(1, 1, 0, 1000);
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer for 16-bit grey");
        }
    }

    /** Cuts a file to {@code fraction} of its length, as an interrupted copy leaves it. */
    public static void truncate(Path file, double fraction) throws IOException {
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, (int) (all.length * fraction)));
    }
}
