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
        // The activation comes first, so the product lives in its (per-step) manager; near() would re-home the
        // parameter itself there and free it with the step.
        return x.add(call("drop_path", call("mlp", x).mul(parameter("layer_scale_2").data())));
    }
}
