package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.DropPath;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * An attention block: {@code x + layer_scale_1 * attention(x)}, then {@code x + layer_scale_2 * mlp(x)}. With a
 * stride the attention runs on a strided copy of the map and is upsampled back (stage 3).
 */
public class AttnFfn extends Module implements Layer {
    public AttnFfn(NDManager manager, int dim, int mlpRatio, float drop, float dropPath, float layerScaleInit,
            int resolution, int stride) {
        registerModule("token_mixer", new Attention4D(manager, dim, 32, 8, 4, resolution, stride));
        registerModule("mlp", new MidConvMlp(manager, dim, dim * mlpRatio, drop));
        registerModule("drop_path", new DropPath(dropPath));
        registerParameter("layer_scale_1", manager.full(new Shape(dim, 1, 1), layerScaleInit));
        registerParameter("layer_scale_2", manager.full(new Shape(dim, 1, 1), layerScaleInit));
    }

    @Override
    public NDArray forward(NDArray x) {
        // A view is moved into the activation's scope, never the parameter itself (closing the scope freed it).
        NDArray ls1 = near(parameter("layer_scale_1").data().reshape(-1, 1, 1), x);
        NDArray ls2 = near(parameter("layer_scale_2").data().reshape(-1, 1, 1), x);
        NDArray y = x.add(call("drop_path", ls1.mul(call("token_mixer", x))));
        return y.add(call("drop_path", ls2.mul(call("mlp", y))));
    }
}
