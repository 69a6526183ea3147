package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * Downsampling into the last stage ({@code Embedding(asub=True)}): a downsampling attention plus a 3x3 stride-2
 * convolution with BatchNorm, summed.
 */
public class AttentionEmbedding extends Module implements Layer {
    public AttentionEmbedding(NDManager manager, int in, int out, int resolution) {
        registerModule("attn", new Attention4DDownsample(manager, in, out, 16, 8, 4, resolution));
        registerModule("conv", new Conv2d(manager, in, out, 3, 2, 1, 1, true));
        registerModule("bn", new BatchNorm2d(manager, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("attn", x).add(call("bn", call("conv", x)));
    }
}
