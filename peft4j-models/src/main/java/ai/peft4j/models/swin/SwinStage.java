package ai.peft4j.models.swin;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.TokenGrid;

/**
 * A stage of Swin blocks (PyTorch name {@code layers.k}), alternating plain and shifted windows, optionally
 * followed by patch merging. As in the published code the shift stays half a window even when the grid is no
 * larger than one window (stage 4 at 224x224).
 */
public class SwinStage extends Module {
    public SwinStage(NDManager manager, int dim, int depth, int heads, int window, float mlpRatio, float drop,
            float attnDrop, double[] dropPath, boolean downsample) {
        int shift = window / 2;
        ModuleList<SwinBlock> blocks = new ModuleList<>(SwinBlock.class);
        for (int i = 0; i < depth; i++) {
            blocks.add(new SwinBlock(manager, dim, heads, window, i % 2 == 0 ? 0 : shift, mlpRatio, drop,
                    attnDrop, (float) dropPath[i]));
        }
        registerModule("blocks", blocks);
        if (downsample) {
            registerModule("downsample", new PatchMerging(manager, dim));
        }
    }

    @SuppressWarnings("unchecked")
    public ModuleList<SwinBlock> blocks() {
        return (ModuleList<SwinBlock>) child("blocks");
    }

    /** What a stage gives: its output before merging (the skip feature) and the input of the next stage. */
    public record Output(TokenGrid features, TokenGrid next) {}

    public Output forward(TokenGrid in) {
        TokenGrid t = in;
        ModuleList<SwinBlock> blocks = blocks();
        for (int i = 0; i < blocks.size(); i++) {
            SwinBlock block = blocks.get(i);
            TokenGrid grid = t;
            t = t.with(call(block, t.x(), x -> block.forward(grid.with(x))));
        }
        TokenGrid next = hasChild("downsample") ? ((PatchMerging) child("downsample")).forward(t) : t;
        return new Output(t, next);
    }
}
