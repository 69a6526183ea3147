package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bilinear resizing of NCHW maps as {@code F.interpolate(x, size, mode='bilinear', align_corners=...)} computes it.
 * The flag decides where the samples fall: with {@code alignCorners} the corner pixels of input and output coincide
 * and output pixel {@code i} reads input position {@code i * (in - 1) / (out - 1)}; without it pixel centres are
 * aligned and it reads {@code (i + 0.5) * in / out - 0.5}, clamped at 0. In both cases the two neighbouring input
 * pixels are mixed linearly. The published models use both (FastSegFormer's pyramid, fusion and reconstruction
 * branch align corners; {@code nn.Upsample(mode='bilinear')} does not), and the two differ by up to a pixel.
 *
 * <p>DJL 0.35.1's {@code JniUtils.interpolate} cannot give these numbers in general: its native side always asks
 * torch for the antialiased kernel ({@code antialias=true}). That kernel equals plain bilinear only when enlarging
 * without aligned corners, so that case goes to torch; the others (aligned corners, or shrinking) are computed here
 * as two small matrix products with the sampling weights above, which is exact up to float rounding and
 * differentiable.
 */
public final class Resize {
    /** DJL's code for {@code torch::kBilinear} in {@code torchNNInterpolate}. */
    private static final int BILINEAR = 2;

    private static final Map<String, float[]> WEIGHTS = new ConcurrentHashMap<>();

    private Resize() {}

    /** {@code F.interpolate(x, size=(height, width), mode='bilinear', align_corners=alignCorners)}. */
    public static NDArray bilinear(NDArray x, long height, long width, boolean alignCorners) {
        Shape s = x.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("bilinear resize expects an NCHW map, got shape " + s);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("output size must be positive, got " + height + "x" + width);
        }
        long inH = s.get(2);
        long inW = s.get(3);
        if (inH == height && inW == width) {
            return x;
        }
        if (!alignCorners && height >= inH && width >= inW && x instanceof PtNDArray pt) {
            // Enlarging: the antialiased kernel DJL selects reduces to plain bilinear (its filter support is one
            // pixel), so torch's own kernel gives the published numbers.
            return JniUtils.interpolate(pt, new long[] {height, width}, BILINEAR, false);
        }
        return byWeights(x, height, width, alignCorners);
    }

    /** The resize as {@code R x C^T} with the sampling weight matrices {@code R} (rows) and {@code C} (columns). */
    static NDArray byWeights(NDArray x, long height, long width, boolean alignCorners) {
        NDArray rows = weights(x, x.getShape().get(2), height, alignCorners);
        NDArray colsT = weights(x, x.getShape().get(3), width, alignCorners).transpose();
        return rows.matMul(x.matMul(colsT));
    }

    /**
     * {@code F.interpolate(x, scale_factor=factor, mode='bilinear', align_corners=alignCorners)} for an integer
     * factor: the output is {@code factor} times the input on both sides, and the sampling positions are those
     * of the equivalent size-based call.
     */
    public static NDArray bilinearScale(NDArray x, int factor, boolean alignCorners) {
        if (factor < 1) {
            throw new IllegalArgumentException("scale factor must be a positive integer, got " + factor);
        }
        return bilinear(x, x.getShape().get(2) * factor, x.getShape().get(3) * factor, alignCorners);
    }

    /**
     * {@code F.interpolate(x, size=(height, width), mode='bicubic', align_corners=alignCorners)}: torch's cubic
     * convolution (A = -0.75) over the four nearest input pixels per axis, indices clamped at the borders and no
     * antialiasing, so shrinking samples rather than averages (SAM resizes its 64x64 position embedding this way).
     * Computed as two matrix products, like the bilinear weights.
     */
    public static NDArray bicubic(NDArray x, long height, long width, boolean alignCorners) {
        Shape s = x.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("bicubic resize expects an NCHW map, got shape " + s);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("output size must be positive, got " + height + "x" + width);
        }
        if (s.get(2) == height && s.get(3) == width) {
            return x;
        }
        NDArray rows = cubicWeights(x, s.get(2), height, alignCorners);
        NDArray colsT = cubicWeights(x, s.get(3), width, alignCorners).transpose();
        return rows.matMul(x.matMul(colsT));
    }

    private static NDArray cubicWeights(NDArray like, long in, long out, boolean alignCorners) {
        float[] w = WEIGHTS.computeIfAbsent("cubic:" + in + ":" + out + ":" + alignCorners,
                k -> bicubicWeights((int) in, (int) out, alignCorners));
        return Constants.like(like, w, new Shape(out, in));
    }

    /** Torch's {@code upsample_bicubic2d} rule (source index without clamping, then four clamped taps), row-major. */
    static float[] bicubicWeights(int in, int out, boolean alignCorners) {
        final float a = -0.75f;
        float[] w = new float[out * in];
        float scale = alignCorners ? (out > 1 ? (float) (in - 1) / (out - 1) : 0f) : (float) in / out;
        for (int i = 0; i < out; i++) {
            float src = alignCorners ? scale * i : scale * (i + 0.5f) - 0.5f;
            int i0 = Math.min((int) Math.floor(src), in - 1);
            float t = Math.min(Math.max(src - i0, 0f), 1f);
            float[] c = {
                cubicFar(t + 1f, a), cubicNear(t, a), cubicNear(1f - t, a), cubicFar(2f - t, a)
            };
            for (int j = 0; j < 4; j++) {
                int idx = Math.max(Math.min(i0 - 1 + j, in - 1), 0);
                w[i * in + idx] += c[j];
            }
        }
        return w;
    }

    private static float cubicNear(float x, float a) {
        return ((a + 2) * x - (a + 3)) * x * x + 1;
    }

    private static float cubicFar(float x, float a) {
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }

    /** The {@code [out, in]} matrix whose row {@code i} holds the weights output pixel {@code i} gives the input. */
    private static NDArray weights(NDArray like, long in, long out, boolean alignCorners) {
        float[] w = WEIGHTS.computeIfAbsent(in + ":" + out + ":" + alignCorners,
                k -> samplingWeights((int) in, (int) out, alignCorners));
        return Constants.like(like, w, new Shape(out, in));
    }

    /** Torch's rule ({@code area_pixel_compute_source_index} in float, then the two neighbours), row-major. */
    static float[] samplingWeights(int in, int out, boolean alignCorners) {
        float[] w = new float[out * in];
        float scale = alignCorners ? (out > 1 ? (float) (in - 1) / (out - 1) : 0f) : (float) in / out;
        for (int i = 0; i < out; i++) {
            float src = alignCorners ? scale * i : Math.max(scale * (i + 0.5f) - 0.5f, 0f);
            int i0 = Math.min((int) src, in - 1);
            int i1 = Math.min(i0 + 1, in - 1);
            float lambda = Math.min(src - i0, 1f);
            w[i * in + i0] += 1f - lambda;
            w[i * in + i1] += lambda;
        }
        return w;
    }
}
