package ai.peft4j.infer.stats;

import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;

/**
 * Draws a class map over its frame: each defect pixel becomes {@code (1 - alpha) * image + alpha * colour} of its
 * class, background pixels keep the image. A stand-in until the overlay renderer of the inference module serves
 * streams too.
 */
final class MaskBlend {
    private MaskBlend() {}

    static RgbImage blend(RgbImage image, ClassMap map, Palette palette, double alpha) {
        if (image.width() != map.width() || image.height() != map.height()) {
            throw new IllegalArgumentException("class map " + map.width() + "x" + map.height()
                    + " does not match the frame " + image.width() + "x" + image.height());
        }
        byte[] in = image.pixels();
        byte[] out = in.clone();
        int[] c = map.classes();
        for (int i = 0; i < c.length; i++) {
            if (c[i] == 0) {
                continue;
            }
            Palette.Colour col = palette.colour(c[i]);
            out[3 * i] = mix(in[3 * i], col.red(), alpha);
            out[3 * i + 1] = mix(in[3 * i + 1], col.green(), alpha);
            out[3 * i + 2] = mix(in[3 * i + 2], col.blue(), alpha);
        }
        return new RgbImage(image.width(), image.height(), out);
    }

    private static byte mix(byte pixel, int colour, double alpha) {
        return (byte) Math.round((1 - alpha) * (pixel & 0xFF) + alpha * colour);
    }
}
