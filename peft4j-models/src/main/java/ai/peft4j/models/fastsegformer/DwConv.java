package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * Depth-wise 3x3 convolution (groups = input channels, no bias), BatchNorm, ReLU ({@code _DWConv}). The output
 * width must be a multiple of the input width.
 */
public class DwConv extends Module implements Layer {
    public DwConv(NDManager manager, int in, int out, int stride) {
        registerModule("conv", new Sequential(new Conv2d(manager, in, out, 3, stride, 1, in, false),
                new BatchNorm2d(manager, out), Activation.relu()));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("conv", x);
    }
}
