package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;

/** Layer normalisation over the last axis, with PyTorch's default eps of 1e-5. */
public class LayerNorm extends Module implements Layer {
    private final int dim;
    private final float eps;

    public LayerNorm(NDManager manager, int dim) {
        this(manager, dim, 1e-5f);
    }

    public LayerNorm(NDManager manager, int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
        registerParameter("weight", manager.ones(new Shape(dim)));
        registerParameter("bias", manager.zeros(new Shape(dim)));
    }

    public int dim() {
        return dim;
    }

    public float eps() {
        return eps;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray y = ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(dim), parameter("weight").data(),
                parameter("bias").data(), eps).singletonOrThrow();
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.NORM, 2 * y.size());
        }
        return y;
    }
}
