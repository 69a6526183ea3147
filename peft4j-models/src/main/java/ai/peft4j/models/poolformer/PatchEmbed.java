package ai.peft4j.models.poolformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * A strided convolution that embeds the image (7x7, stride 4) or downsamples between stages (3x3, stride 2); the
 * published {@code norm} is an identity.
 */
public class PatchEmbed extends Module implements Layer {
    public PatchEmbed(NDManager manager, int patch, int stride, int padding, int in, int out) {
        registerModule("proj", new Conv2d(manager, in, out, patch, stride, padding, 1, true));
        registerModule("norm", Activation.identity());
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("norm", call("proj", x));
    }
}
