package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** Non-overlapping patches by a strided convolution {@code proj}, returned channels-last {@code [B, H, W, C]}. */
public class PatchEmbed extends Module implements Layer {
    public PatchEmbed(NDManager manager, int patchSize, int inChannels, int embedDim) {
        registerModule("proj", new Conv2d(manager, inChannels, embedDim, patchSize, patchSize, 0, 1, true));
    }

    @Override
    public NDArray forward(NDArray images) {
        return call("proj", images).transpose(0, 2, 3, 1);
    }
}
