package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code torch.nn.functional.adaptive_avg_pool2d}: output cell {@code i} of {@code out} averages input rows
 * {@code floor(i * in / out)} up to (excluding) {@code ceil((i + 1) * in / out)}, so bins overlap when {@code out}
 * does not divide {@code in} (7 into 3 bins: rows 0-2, 2-4, 4-6). DJL's API only offers the global (1x1) case; the
 * PyTorch engine's own kernel is used, with a slicing fallback that follows the same bin rule.
 */
public final class AdaptivePooling {
    private AdaptivePooling() {}

    /** Averages an NCHW map into {@code height x width} cells. */
    public static NDArray avgPool2d(NDArray x, int height, int width) {
        if (x.getShape().dimension() != 4) {
            throw new IllegalArgumentException("adaptive pooling expects an NCHW map, got shape " + x.getShape());
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("output size must be positive, got " + height + "x" + width);
        }
        if (x instanceof PtNDArray pt) {
            return JniUtils.adaptiveAvgPool(pt, new Shape(height, width));
        }
        return bySlicing(x, height, width);
    }

    /** The bin rule written out with slices and means; used where the engine has no adaptive pooling kernel. */
    static NDArray bySlicing(NDArray x, int height, int width) {
        long inH = x.getShape().get(2);
        long inW = x.getShape().get(3);
        List<NDArray> rows = new ArrayList<>(height);
        for (int i = 0; i < height; i++) {
            long h0 = start(i, height, inH);
            long h1 = end(i, height, inH);
            List<NDArray> cells = new ArrayList<>(width);
            for (int j = 0; j < width; j++) {
                long w0 = start(j, width, inW);
                long w1 = end(j, width, inW);
                NDArray cell = x.get(new NDIndex(":, :, {}:{}, {}:{}", h0, h1, w0, w1));
                cells.add(Reductions.mean(cell, 2, 3).expandDims(2).expandDims(3));
            }
            rows.add(concat(cells, 3));
        }
        return concat(rows, 2);
    }

    static long start(int i, int out, long in) {
        return Math.floorDiv(i * in, out);
    }

    static long end(int i, int out, long in) {
        return -Math.floorDiv(-(i + 1) * in, out);
    }

    private static NDArray concat(List<NDArray> parts, int axis) {
        NDArray out = parts.get(0);
        for (int k = 1; k < parts.size(); k++) {
            out = out.concat(parts.get(k), axis);
        }
        return out;
    }
}
