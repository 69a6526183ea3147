package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * Non-overlapping patches by a strided convolution {@code proj}, returned channels-last {@code [B, H, W, C]}
 * (segment-anything) or as the convolution gives them, {@code [B, C, H, W]} (EfficientSAM).
 */
public class PatchEmbed extends Module implements Layer {
    private final boolean channelsLast;

    public PatchEmbed(NDManager manager, int patchSize, int inChannels, int embedDim, boolean channelsLast) {
        this.channelsLast = channelsLast;
        registerModule("proj", new Conv2d(manager, inChannels, embedDim, patchSize, patchSize, 0, 1, true));
    }

    public boolean channelsLast() {
        return channelsLast;
    }

    @Override
    public NDArray forward(NDArray images) {
        NDArray x = call("proj", images);
        return channelsLast ? x.transpose(0, 2, 3, 1) : x;
    }
}
