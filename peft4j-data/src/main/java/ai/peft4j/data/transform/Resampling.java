package ai.peft4j.data.transform;

import ai.peft4j.data.image.RgbImage;
import java.util.Arrays;

/**
 * Resizing as PIL's {@code Image.resize} does it, to the same 8-bit values: bicubic is PIL's two-pass convolution
 * (Keys kernel with a = -0.5, widened by the scale when shrinking, horizontal pass first, 22-bit fixed-point
 * weights with rounding); nearest is PIL's affine sampling with its accumulated source coordinate.
 */
public final class Resampling {
    private Resampling() {}

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Bicubic resize of an RGB image. */
    public static RgbImage bicubic(RgbImage src, int width, int height) {
        if (src.width() == width && src.height() == height) {
            return new RgbImage(width, height, src.pixels().clone());
        }
        byte[] pixels = src.pixels();
        int rows = src.height();
        if (width != src.width()) {
            Coefficients c = Coefficients.of(src.width(), width);
            pixels = horizontal(pixels, src.width(), rows, width, c);
        }
        if (height != rows) {
            Coefficients c = Coefficients.of(rows, height);
            pixels = vertical(pixels, width, height, c);
        }
        return new RgbImage(width, height, pixels);
    }

    /** Nearest-neighbour resize of a mask (any int values). */
    public static int[] nearest(int[] src, int srcWidth, int srcHeight, int width, int height) {
        if (srcWidth == width && srcHeight == height) {
            return src.clone();
        }
        double ax = (double) srcWidth / width;
        double ay = (double) srcHeight / height;
        int[] xin = new int[width];
        double xo = ax * 0.5;
        for (int x = 0; x < width; x++) {
            xin[x] = Math.min((int) xo, srcWidth - 1);
            xo += ax;
        }
        int[] out = new int[width * height];
        double yo = ay * 0.5;
        for (int y = 0; y < height; y++) {
            int row = Math.min((int) yo, srcHeight - 1) * srcWidth;
            for (int x = 0; x < width; x++) {
                out[y * width + x] = src[row + xin[x]];
            }
            yo += ay;
        }
        return out;
    }

    /** Mirrors an RGB image left to right. */
    public static RgbImage flipHorizontal(RgbImage src) {
        int w = src.width();
        byte[] in = src.pixels();
        byte[] out = new byte[in.length];
        for (int y = 0; y < src.height(); y++) {
            for (int x = 0; x < w; x++) {
                int s = 3 * (y * w + x);
                int d = 3 * (y * w + w - 1 - x);
                out[d] = in[s];
                out[d + 1] = in[s + 1];
                out[d + 2] = in[s + 2];
            }
        }
        return new RgbImage(w, src.height(), out);
    }

    /** Mirrors a mask left to right. */
    public static int[] flipHorizontal(int[] mask, int width, int height) {
        int[] out = new int[mask.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                out[y * width + width - 1 - x] = mask[y * width + x];
            }
        }
        return out;
    }

    /** Per output index: first input index, tap count, and fixed-point weights. */
    private record Coefficients(int[] start, int[] count, int[][] weights) {
        static Coefficients of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = 2.0 * filterScale;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            int[][] weights = new int[outSize][];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double[] k = new double[xmax];
                double sum = 0;
                double ss = 1.0 / filterScale;
                for (int x = 0; x < xmax; x++) {
                    k[x] = cubic((x + xmin - center + 0.5) * ss);
                    sum += k[x];
                }
                int[] fixed = new int[xmax];
                for (int x = 0; x < xmax; x++) {
                    double w = sum != 0 ? k[x] / sum : k[x];
                    fixed[x] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
                }
                start[xx] = xmin;
                count[xx] = xmax;
                weights[xx] = fixed;
            }
            return new Coefficients(start, count, weights);
        }

        private static double cubic(double x) {
            final double a = -0.5;
            x = Math.abs(x);
            if (x < 1) {
                return ((a + 2) * x - (a + 3)) * x * x + 1;
            }
            if (x < 2) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0;
        }
    }

    private static byte[] horizontal(byte[] in, int inWidth, int rows, int outWidth, Coefficients c) {
        byte[] out = new byte[3 * outWidth * rows];
        for (int y = 0; y < rows; y++) {
            int rowIn = 3 * y * inWidth;
            int rowOut = 3 * y * outWidth;
            for (int x = 0; x < outWidth; x++) {
                int[] k = c.weights[x];
                int base = rowIn + 3 * c.start[x];
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int i = 0; i < k.length; i++) {
                    int p = base + 3 * i;
                    r += (in[p] & 0xFF) * k[i];
                    g += (in[p + 1] & 0xFF) * k[i];
                    b += (in[p + 2] & 0xFF) * k[i];
                }
                out[rowOut + 3 * x] = clip8(r);
                out[rowOut + 3 * x + 1] = clip8(g);
                out[rowOut + 3 * x + 2] = clip8(b);
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int width, int outRows, Coefficients c) {
        byte[] out = new byte[3 * width * outRows];
        int stride = 3 * width;
        int[] acc = new int[stride];
        for (int y = 0; y < outRows; y++) {
            int[] k = c.weights[y];
            Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            // Row by row, so that memory is read in order; the sums are those of PIL's per-pixel loop.
            for (int i = 0; i < k.length; i++) {
                int row = (c.start[y] + i) * stride;
                int w = k[i];
                for (int x = 0; x < stride; x++) {
                    acc[x] += (in[row + x] & 0xFF) * w;
                }
            }
            for (int x = 0; x < stride; x++) {
                out[y * stride + x] = clip8(acc[x]);
            }
        }
        return out;
    }

    private static byte clip8(int v) {
        int s = v >> PRECISION_BITS;
        return (byte) (s < 0 ? 0 : Math.min(s, 255));
    }
}
