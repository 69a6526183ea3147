package ai.peft4j.models.poolformer;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.AvgPool2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * PoolFormer's token mixer: {@code avgpool(x) - x}, stride 1 with "same" padding that is not counted in the
 * average. The block adds its input back, so subtracting it here leaves the pooled map.
 */
public class Pooling extends Module implements Layer {
    public Pooling(int poolSize) {
        registerModule("pool", new AvgPool2d(poolSize, 1, poolSize / 2, false));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("pool", x).sub(x);
    }
}
