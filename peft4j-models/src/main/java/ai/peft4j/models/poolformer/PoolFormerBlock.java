package ai.peft4j.models.poolformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.DropPath;
import ai.peft4j.core.nn.GroupNorm;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * One PoolFormer block: {@code x + ls1 * pool(norm1(x))}, then {@code x + ls2 * mlp(norm2(x))}, with one-group
 * GroupNorms and per-channel layer scales {@code layer_scale_1}, {@code layer_scale_2}.
 */
public class PoolFormerBlock extends Module implements Layer {
    private final int dim;

    public PoolFormerBlock(NDManager manager, int dim, int poolSize, float mlpRatio, float drop, float dropPath,
            float layerScaleInit) {
        this.dim = dim;
        registerModule("norm1", new GroupNorm(manager, 1, dim));
        registerModule("token_mixer", new Pooling(poolSize));
        registerModule("norm2", new GroupNorm(manager, 1, dim));
        registerModule("mlp", new ConvMlp(manager, dim, (int) (dim * mlpRatio), drop));
        registerModule("drop_path", new DropPath(dropPath));
        registerParameter("layer_scale_1", manager.full(new Shape(dim), layerScaleInit));
        registerParameter("layer_scale_2", manager.full(new Shape(dim), layerScaleInit));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray ls1 = near(parameter("layer_scale_1").data().reshape(1, dim, 1, 1), x);
        NDArray ls2 = near(parameter("layer_scale_2").data().reshape(1, dim, 1, 1), x);
        NDArray y = x.add(call("drop_path", ls1.mul(call("token_mixer", call("norm1", x)))));
        return y.add(call("drop_path", ls2.mul(call("mlp", call("norm2", y)))));
    }
}
