package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/** Max pooling with a square window and equal stride, no padding. */
public class MaxPool2d extends Module implements Layer {
    private final int kernel;

    public MaxPool2d(int kernel) {
        this.kernel = kernel;
    }

    public int kernel() {
        return kernel;
    }

    @Override
    public NDArray forward(NDArray x) {
        return Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(kernel, kernel), new Shape(0, 0), false);
    }
}
