package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/**
 * Average pooling with a square window, as {@code nn.AvgPool2d(kernel, stride, padding, count_include_pad)}.
 * PoolFormer's token mixer pools 3x3 with stride 1 and padding 1 and does not count the padding, so border
 * positions average fewer values.
 */
public class AvgPool2d extends Module implements Layer {
    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean countIncludePad;

    public AvgPool2d(int kernel, int stride, int padding, boolean countIncludePad) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.countIncludePad = countIncludePad;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    public boolean countIncludePad() {
        return countIncludePad;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray withPadding = pool(x);
        if (countIncludePad || padding == 0) {
            return withPadding;
        }
        // DJL 0.35.1's native avg_pool ignores count_include_pad (torch's default, True, always applies): divide
        // by the pooled share of real pixels instead, which turns "sum / k^2" into "sum / real neighbours".
        Shape s = x.getShape();
        NDArray ones = x.getManager().ones(new Shape(1, 1, s.get(2), s.get(3)), x.getDataType());
        return withPadding.div(pool(ones));
    }

    private NDArray pool(NDArray x) {
        return Pool.avgPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride), new Shape(padding, padding),
                false, true);
    }

    @Override
    public String toString() {
        return "AvgPool2d(k" + kernel + ", s" + stride + ", p" + padding
                + (countIncludePad ? "" : ", padding not counted") + ")";
    }
}
