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
        // The activation comes first, so the product lives in its (per-step) manager; near() would re-home the
        // parameter itself there and free it with the step.
        NDArray ls1 = parameter("layer_scale_1").data();
        NDArray ls2 = parameter("layer_scale_2").data();
        NDArray y = x.add(call("drop_path", call("token_mixer", x).mul(ls1)));
        return y.add(call("drop_path", call("mlp", y).mul(ls2)));
    }
}
