package ai.peft4j.data.dedup;

import ai.peft4j.data.image.RgbImage;
import java.util.Arrays;

/**
 * What is kept of an image to find its copies: its size, a grey thumbnail of {@value #SIDE} x {@value #SIDE}
 * pixels and a 64-bit perceptual hash of the thumbnail under each of the eight {@link Dihedral} transforms.
 *
 * <p>The thumbnail is square whatever the image's shape: an area-average resize commutes with rotations and flips,
 * so the thumbnail of a rotated image is the rotated thumbnail, and a non-square copy turned by 90 degrees is
 * compared pixel for pixel after turning the thumbnail (its shape is checked separately, from the sizes).
 *
 * @param width the image's width in pixels
 * @param height the image's height in pixels
 * @param thumbnail {@value #SIDE} x {@value #SIDE} grey levels (0-255, ITU-R 601 luma as PIL's {@code L}),
 *     row-major
 * @param hashes the DCT hash of the thumbnail turned by each transform, indexed by {@link Dihedral#ordinal()}
 */
public record ImageFingerprint(int width, int height, float[] thumbnail, long[] hashes) {
    /**
     * Side of the thumbnail. 32 is pHash's size: the 8 x 8 lowest DCT frequencies of a 32 x 32 image describe its
     * layout at about 1/8 of its size, which survives re-encoding and small edits. On NEU-Seg a 64 x 64 thumbnail
     * separated copies from other photos no better (copies 1.90 against 2.54 grey levels at the closest, 32 x 32:
     * 1.83 against 2.28) at four times the memory.
     */
    public static final int SIDE = 32;
    /** Frequencies per axis that the hash keeps (the DC term left out, as it only says how bright the image is). */
    private static final int FREQUENCIES = 8;
    private static final double[][] DCT = dctBasis();

    public ImageFingerprint {
        if (thumbnail.length != SIDE * SIDE || hashes.length != Dihedral.values().length) {
            throw new IllegalArgumentException("a fingerprint holds a " + SIDE + "x" + SIDE + " thumbnail and "
                    + Dihedral.values().length + " hashes");
        }
    }

    /** The fingerprint of a decoded image. */
    public static ImageFingerprint of(RgbImage image) {
        int w = image.width();
        int h = image.height();
        float[] grey = new float[w * h];
        byte[] p = image.pixels();
        for (int i = 0; i < grey.length; i++) {
            grey[i] = ((p[3 * i] & 0xFF) * 299 + (p[3 * i + 1] & 0xFF) * 587 + (p[3 * i + 2] & 0xFF) * 114) / 1000f;
        }
        return ofGrey(grey, w, h);
    }

    /** The fingerprint of a row-major grey image of {@code width x height} levels in 0-255. */
    public static ImageFingerprint ofGrey(float[] grey, int width, int height) {
        float[] thumb = areaResize(grey, width, height, SIDE, SIDE);
        long[] hashes = new long[Dihedral.values().length];
        for (Dihedral d : Dihedral.values()) {
            hashes[d.ordinal()] = dctHash(d.apply(thumb, SIDE, SIDE));
        }
        return new ImageFingerprint(width, height, thumb, hashes);
    }

    /** The hash of this image turned by {@code d}. */
    public long hash(Dihedral d) {
        return hashes[d.ordinal()];
    }

    /** The width-to-height ratio of this image turned by {@code d}. */
    public double aspect(Dihedral d) {
        return d.swapsSides() ? (double) height / width : (double) width / height;
    }

    /**
     * Mean absolute difference in grey levels between this thumbnail and {@code other}'s turned by {@code d}, each
     * less its own mean, so that a copy made brighter or darker still differs by little.
     */
    public double difference(ImageFingerprint other, Dihedral d) {
        float[] a = thumbnail;
        float[] b = d.apply(other.thumbnail, SIDE, SIDE);
        double shift = mean(a) - mean(b);
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs(a[i] - b[i] - shift);
        }
        return sum / a.length;
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s / v.length;
    }

    /**
     * pHash: bit {@code k} is set where the {@code k}-th of the 63 lowest non-DC DCT coefficients (8 x 8 less the
     * DC term, row by row) is above their median; the top bit is always 0.
     */
    static long dctHash(float[] thumb) {
        // Separable DCT-II restricted to the lowest frequencies: rows first, then columns.
        double[] rows = new double[SIDE * FREQUENCIES];
        for (int y = 0; y < SIDE; y++) {
            for (int u = 0; u < FREQUENCIES; u++) {
                double s = 0;
                for (int x = 0; x < SIDE; x++) {
                    s += DCT[u][x] * thumb[y * SIDE + x];
                }
                rows[y * FREQUENCIES + u] = s;
            }
        }
        double[] coeff = new double[FREQUENCIES * FREQUENCIES - 1];
        for (int v = 0, k = 0; v < FREQUENCIES; v++) {
            for (int u = 0; u < FREQUENCIES; u++) {
                if (u == 0 && v == 0) {
                    continue;
                }
                double s = 0;
                for (int y = 0; y < SIDE; y++) {
                    s += DCT[v][y] * rows[y * FREQUENCIES + u];
                }
                coeff[k++] = s;
            }
        }
        double[] sorted = coeff.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        long hash = 0;
        for (int k = 0; k < coeff.length; k++) {
            if (coeff[k] > median) {
                hash |= 1L << k;
            }
        }
        return hash;
    }

    private static double[][] dctBasis() {
        double[][] c = new double[FREQUENCIES][SIDE];
        for (int u = 0; u < FREQUENCIES; u++) {
            for (int x = 0; x < SIDE; x++) {
                c[u][x] = Math.cos((2 * x + 1) * u * Math.PI / (2 * SIDE));
            }
        }
        return c;
    }

    /** Box-filter resize: each output pixel is the area-weighted mean of the input pixels it covers. */
    static float[] areaResize(float[] src, int w, int h, int outW, int outH) {
        double[][] wx = coverage(w, outW);
        double[][] wy = coverage(h, outH);
        // Columns first, into an h x outW buffer.
        float[] mid = new float[h * outW];
        for (int y = 0; y < h; y++) {
            for (int ox = 0; ox < outW; ox++) {
                double[] wt = wx[ox];
                int x0 = (int) wt[0];
                double s = 0;
                for (int i = 1; i < wt.length; i++) {
                    s += wt[i] * src[y * w + x0 + i - 1];
                }
                mid[y * outW + ox] = (float) s;
            }
        }
        float[] out = new float[outW * outH];
        for (int oy = 0; oy < outH; oy++) {
            double[] wt = wy[oy];
            int y0 = (int) wt[0];
            for (int ox = 0; ox < outW; ox++) {
                double s = 0;
                for (int i = 1; i < wt.length; i++) {
                    s += wt[i] * mid[(y0 + i - 1) * outW + ox];
                }
                out[oy * outW + ox] = (float) s;
            }
        }
        return out;
    }

    /**
     * For each output cell along an axis, {@code [first input index, weight, weight, ...]}: the share of the cell
     * each input pixel covers (the weights sum to 1).
     */
    private static double[][] coverage(int n, int m) {
        double[][] all = new double[m][];
        double step = (double) n / m;
        for (int k = 0; k < m; k++) {
            double lo = k * step;
            double hi = (k + 1) * step;
            int first = (int) Math.floor(lo);
            int last = Math.min(n - 1, (int) Math.ceil(hi) - 1);
            double[] wt = new double[last - first + 2];
            wt[0] = first;
            for (int i = first; i <= last; i++) {
                wt[i - first + 1] = (Math.min(hi, i + 1) - Math.max(lo, i)) / step;
            }
            all[k] = wt;
        }
        return all;
    }
}
