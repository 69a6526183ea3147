package ai.peft4j.core.nn;

import ai.peft4j.core.tensor.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.tensor.Scalars;

/**
 * Stochastic depth: in training mode drops the whole residual branch of a sample with probability {@code rate}
 * and rescales the kept ones by {@code 1 / (1 - rate)}; identity in eval.
 */
public class DropPath extends Module implements Layer {
    private final float rate;

    public DropPath(float rate) {
        if (rate < 0 || rate >= 1) {
            throw new IllegalArgumentException("drop path rate must be in [0, 1), got " + rate);
        }
        this.rate = rate;
    }

    public float rate() {
        return rate;
    }

    @Override
    public NDArray forward(NDArray x) {
        if (!isTraining() || rate == 0f) {
            return x;
        }
        float keep = 1f - rate;
        long[] dims = new long[x.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = x.getShape().get(0);
        NDArray mask = x.getManager().randomUniform(0f, 1f, new Shape(dims)).add(keep).floor();
        return Scalars.div(x, keep).mul(mask);
    }
}
