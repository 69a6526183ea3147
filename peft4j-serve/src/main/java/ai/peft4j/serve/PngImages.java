package ai.peft4j.serve;

import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** PNGs in memory, for responses: the overlay as RGB, the class map as a palette PNG whose value is the class id. */
final class PngImages {
    private PngImages() {}

    static byte[] rgb(RgbImage image) {
        BufferedImage img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        byte[] rgb = image.pixels();
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        return encode(img);
    }

    /** The VOC convention, as {@code predict} writes masks: the stored value is the class id. */
    static byte[] index(int[] mask, int width, int height, Palette palette) {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            Palette.Colour c = palette.colour(i);
            r[i] = (byte) c.red();
            g[i] = (byte) c.green();
            b[i] = (byte) c.blue();
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 256, r, g, b));
        byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < mask.length; i++) {
            data[i] = (byte) mask[i];
        }
        return encode(img);
    }

    private static byte[] encode(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
