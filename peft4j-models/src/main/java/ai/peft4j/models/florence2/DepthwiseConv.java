package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** DaViT's 3x3 depthwise convolution ({@code dw}) on a token map {@code [B, H, W, C]}, the blocks' position cue. */
public class DepthwiseConv extends Module implements Layer {
    public DepthwiseConv(NDManager manager, int dim) {
        registerModule("dw", new Conv2d(manager, dim, dim, 3, 1, 1, dim, true));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("dw", x.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1);
    }
}
