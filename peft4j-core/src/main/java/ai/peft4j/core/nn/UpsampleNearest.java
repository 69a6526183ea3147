package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Nearest-neighbour upsampling of NCHW maps by an integer factor, as {@code nn.Upsample(scale_factor=k)}. Built
 * from a broadcast so that it differentiates on every engine.
 */
public class UpsampleNearest extends Module implements Layer {
    private final int factor;

    public UpsampleNearest(int factor) {
        this.factor = factor;
    }

    public int factor() {
        return factor;
    }

    @Override
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        return x.reshape(n, c, h, 1, w, 1)
                .broadcast(new Shape(n, c, h, factor, w, factor))
                .reshape(n, c, h * factor, w * factor);
    }
}
