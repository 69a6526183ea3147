package ai.peft4j.infer.segment;

import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.infer.stats.ClassMap;

/**
 * A peft4j segmentation module trained on crops as a {@link FrameModel}: each frame, prepared by
 * {@link SlidingWindow#prepare} (rescaled, not letterboxed), is predicted tile by tile and the blended logits are
 * sampled back to the frame's size.
 */
public final class TiledFrameModel implements FrameModel {
    private final Layer layer;
    private final SlidingWindow window;

    public TiledFrameModel(Module module, SlidingWindow window) {
        if (!(module instanceof Layer l)) {
            throw new IllegalArgumentException(module.getClass().getSimpleName() + " is not a segmentation model "
                    + "(it does not map an image tensor to logits)");
        }
        module.eval();
        this.layer = l;
        this.window = window;
    }

    @Override
    public ClassMap predict(ModelInput input) {
        SlidingWindow.Logits logits = window.blend(input.pixels(), input.height(), input.width(), layer::forward);
        return LogitsToClasses.classes(logits.values(), logits.classes(), logits.height(), logits.width(), input);
    }
}
