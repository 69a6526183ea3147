package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * A DaViT stage's strided convolution ({@code proj}) with its LayerNorm ({@code norm}), which comes before the
 * convolution on the incoming channels ({@code patch_prenorm}, stages 2-4) or after it on the new ones (stage 1).
 * Takes an image {@code [B, C, H, W]} or a token map {@code [B, H, W, C]}; returns a token map {@code [B, H', W', C']}.
 */
public class ConvEmbed extends Module implements Layer {
    private final boolean preNorm;

    public ConvEmbed(NDManager manager, int in, int out, int kernel, int stride, int padding, boolean preNorm) {
        this.preNorm = preNorm;
        registerModule("proj", new Conv2d(manager, in, out, kernel, stride, padding, 1, true));
        registerModule("norm", new LayerNorm(manager, preNorm ? in : out));
    }

    /** {@code image} is channels-first when {@code tokens} is false, a channels-last token map otherwise. */
    public NDArray forward(NDArray x, boolean tokens) {
        NDArray chw = x;
        if (tokens) {
            chw = (preNorm ? call("norm", x) : x).transpose(0, 3, 1, 2);
        }
        NDArray y = call("proj", chw).transpose(0, 2, 3, 1);
        return preNorm ? y : call("norm", y);
    }

    /** A token map in, as every stage but the first receives. */
    @Override
    public NDArray forward(NDArray tokens) {
        return forward(tokens, true);
    }
}
