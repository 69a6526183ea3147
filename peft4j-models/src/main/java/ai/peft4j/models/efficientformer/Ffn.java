package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.DropPath;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** A convolutional block: {@code x + layer_scale_2 * mlp(x)}; the scale is stored as {@code [dim, 1, 1]}. */
public class Ffn extends Module implements Layer {
    public Ffn(NDManager manager, int dim, int mlpRatio, float drop, float dropPath, float layerScaleInit) {
        registerModule("mlp", new MidConvMlp(manager, dim, dim * mlpRatio, drop));
        registerModule("drop_path", new DropPath(dropPath));
        registerParameter("layer_scale_2", manager.full(new Shape(dim, 1, 1), layerScaleInit));
    }

    @Override
    public NDArray forward(NDArray x) {
        // A view is moved into the activation's scope, never the parameter itself (closing the scope freed it).
        NDArray ls2 = near(parameter("layer_scale_2").data().reshape(-1, 1, 1), x);
        return x.add(call("drop_path", ls2.mul(call("mlp", x))));
    }
}
