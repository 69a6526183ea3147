package ai.peft4j.infer.segment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.infer.stats.ClassMap;

/**
 * A peft4j segmentation module on the training engine as a {@link FrameModel}: one frame per forward pass, in
 * eval mode; the logits of the letterbox region where the frame lies are cut out, resized bilinearly to the frame's
 * size and reduced by argmax, as the published {@code detect_image} does.
 */
public final class ModuleFrameModel implements FrameModel {
    private final Layer layer;
    private final NDManager manager;

    /** Uses {@code module}, which must be a one-tensor {@link Layer} (every segmenter is), in eval mode. */
    public ModuleFrameModel(Module module) {
        if (!(module instanceof Layer l)) {
            throw new IllegalArgumentException(module.getClass().getSimpleName() + " is not a segmentation model "
                    + "(it does not map an image tensor to logits)");
        }
        module.eval();
        this.layer = l;
        this.manager = EngineSetup.newManager();
    }

    @Override
    public ClassMap predict(ModelInput input) {
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = m.create(input.pixels(), new Shape(1, 3, input.height(), input.width()));
            // No autograd graph: inference only.
            NDArray logits = NoGradient.run(() -> layer.forward(x));
            Shape s = logits.getShape();
            if (s.dimension() != 4 || s.get(0) != 1) {
                throw new IllegalStateException("the model gave logits of shape " + s + "; expected [1, classes, H, "
                        + "W]");
            }
            // The output may have its own size (FastSegFormer's is always 224): sampling maps the placement onto it.
            return LogitsToClasses.classes(logits.toFloatArray(), (int) s.get(1), (int) s.get(2), (int) s.get(3),
                    input);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
