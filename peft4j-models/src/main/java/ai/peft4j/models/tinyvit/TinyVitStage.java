package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;

/**
 * A TinyViT stage: its {@code blocks} (MBConv blocks in stage 0, {@link TinyVitBlock}s after), then the optional
 * {@code downsample} ({@link PatchMerging}) into the next stage.
 */
public class TinyVitStage extends Module implements Layer {
    public TinyVitStage(ModuleList<Module> blocks, PatchMerging downsample) {
        registerModule("blocks", blocks);
        if (downsample != null) {
            registerModule("downsample", downsample);
        }
    }

    @Override
    public NDArray forward(NDArray x) {
        ModuleList<?> blocks = (ModuleList<?>) child("blocks");
        NDArray y = x;
        for (int i = 0; i < blocks.size(); i++) {
            y = ((Layer) blocks.get(i)).forward(y);
        }
        return hasChild("downsample") ? call("downsample", y) : y;
    }

    /** The blocks, which a caller may run one by one (the published fixtures store the first block's output). */
    public ModuleList<?> blocks() {
        return (ModuleList<?>) child("blocks");
    }
}
