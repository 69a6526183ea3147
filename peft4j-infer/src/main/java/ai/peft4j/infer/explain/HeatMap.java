package ai.peft4j.infer.explain;

import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;

/**
 * A map of values in [0, 1] at an image's size, and its picture in the jet colour map (blue 0, green 0.5, red 1)
 * that pytorch-grad-cam's {@code show_cam_on_image} uses.
 *
 * @param values {@code width * height}, row-major
 */
public record HeatMap(int width, int height, float[] values) {
    /** The heat map's weight over the image: the published {@code show_cam_on_image(..., image_weight=0.6)}. */
    public static final double ALPHA = 0.4;

    public HeatMap {
        if (values.length != width * height) {
            throw new IllegalArgumentException(values.length + " values for a " + width + "x" + height + " map");
        }
    }

    /**
     * The part of a module's map that covers the image inside the letterbox, resized to the image's own size
     * (bilinear, half-pixel centres), as the predictor crops its probabilities and resizes them: samples stay
     * inside the crop, so the grey bands of the letterbox do not bleed into the image's edges.
     */
    public static HeatMap onImage(ModuleMap map, Letterbox.Placement p, int imageWidth, int imageHeight) {
        int w = map.inputWidth();
        int lastRow = p.top() + p.scaledHeight() - 1;
        int lastColumn = p.left() + p.scaledWidth() - 1;
        float[] in = map.map();
        float[] out = new float[imageWidth * imageHeight];
        for (int y = 0; y < imageHeight; y++) {
            double gy = Math.max(p.top(), Math.min(lastRow, p.top() + (y + 0.5) * p.scaledHeight() / imageHeight
                    - 0.5));
            int y0 = (int) gy;
            int y1 = Math.min(lastRow, y0 + 1);
            double wy = gy - y0;
            for (int x = 0; x < imageWidth; x++) {
                double gx = Math.max(p.left(), Math.min(lastColumn, p.left() + (x + 0.5) * p.scaledWidth() / imageWidth
                        - 0.5));
                int x0 = (int) gx;
                int x1 = Math.min(lastColumn, x0 + 1);
                double wx = gx - x0;
                double top = in[y0 * w + x0] + (in[y0 * w + x1] - in[y0 * w + x0]) * wx;
                double bottom = in[y1 * w + x0] + (in[y1 * w + x1] - in[y1 * w + x0]) * wx;
                out[y * imageWidth + x] = (float) (top + (bottom - top) * wy);
            }
        }
        return new HeatMap(imageWidth, imageHeight, out);
    }

    /** The colour of a value in [0, 1]: the piecewise-linear jet map, as {@code 0xRRGGBB}. */
    public static int jet(double v) {
        double t = Math.max(0, Math.min(1, v));
        int r = channel(1.5 - Math.abs(4 * t - 3));
        int g = channel(1.5 - Math.abs(4 * t - 2));
        int b = channel(1.5 - Math.abs(4 * t - 1));
        return (r << 16) | (g << 8) | b;
    }

    private static int channel(double x) {
        return (int) Math.round(255 * Math.max(0, Math.min(1, x)));
    }

    /** The map alone in colour. */
    public RgbImage colours() {
        byte[] px = new byte[3 * values.length];
        for (int i = 0; i < values.length; i++) {
            int rgb = jet(values[i]);
            px[3 * i] = (byte) (rgb >> 16);
            px[3 * i + 1] = (byte) (rgb >> 8);
            px[3 * i + 2] = (byte) rgb;
        }
        return new RgbImage(width, height, px);
    }

    /** The map's colours blended over {@code image} with weight {@code alpha}: {@code (1 - alpha) image + alpha}. */
    public RgbImage over(RgbImage image, double alpha) {
        if (image.width() != width || image.height() != height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " heat map over a " + image.width() + "x"
                    + image.height() + " image");
        }
        byte[] in = image.pixels();
        byte[] px = new byte[in.length];
        for (int i = 0; i < values.length; i++) {
            int rgb = jet(values[i]);
            for (int k = 0; k < 3; k++) {
                int colour = (rgb >> (16 - 8 * k)) & 0xFF;
                double v = (1 - alpha) * (in[3 * i + k] & 0xFF) + alpha * colour;
                px[3 * i + k] = (byte) Math.min(255, (int) Math.floor(v + 0.5));
            }
        }
        return new RgbImage(width, height, px);
    }
}
