package ai.peft4j.infer.render;

import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;

/**
 * Class colours blended over an image: {@code out = (1 - alpha) image + alpha colour}, rounded half up, for every
 * pixel (background too, in its palette colour), as the published demos blend the colour map over the frame with
 * alpha 0.6.
 */
public final class Overlay {
    /** The published blend weight of the colour map. */
    public static final double ALPHA = 0.6;

    private Overlay() {}

    /** The mask's class colours blended over {@code image} with the published alpha. */
    public static RgbImage blend(RgbImage image, int[] mask, Palette palette) {
        return blend(image, mask, palette, ALPHA);
    }

    /** The mask's class colours blended over {@code image}; {@code alpha} is the colours' weight in [0, 1]. */
    public static RgbImage blend(RgbImage image, int[] mask, Palette palette, double alpha) {
        return blend(image, mask, palette, alpha, true);
    }

    /**
     * Defect colours only: background pixels (class 0) keep the image, so a stream's frames stay readable where
     * nothing was found.
     */
    public static RgbImage blendDefects(RgbImage image, int[] mask, Palette palette, double alpha) {
        return blend(image, mask, palette, alpha, false);
    }

    private static RgbImage blend(RgbImage image, int[] mask, Palette palette, double alpha, boolean background) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must lie in [0, 1], got " + alpha);
        }
        int n = image.width() * image.height();
        if (mask.length != n) {
            throw new IllegalArgumentException("mask has " + mask.length + " values for a " + image.width() + "x"
                    + image.height() + " image");
        }
        byte[] in = image.pixels();
        byte[] out = in.clone();
        for (int i = 0; i < n; i++) {
            if (mask[i] == 0 && !background) {
                continue;
            }
            Palette.Colour c = palette.colour(mask[i]);
            out[3 * i] = mix(in[3 * i], c.red(), alpha);
            out[3 * i + 1] = mix(in[3 * i + 1], c.green(), alpha);
            out[3 * i + 2] = mix(in[3 * i + 2], c.blue(), alpha);
        }
        return new RgbImage(image.width(), image.height(), out);
    }

    private static byte mix(byte pixel, int colour, double alpha) {
        double v = (1 - alpha) * (pixel & 0xFF) + alpha * colour;
        return (byte) Math.min(255, (int) Math.floor(v + 0.5));
    }
}
