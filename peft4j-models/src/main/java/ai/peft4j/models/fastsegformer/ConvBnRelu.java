package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/** Convolution without bias, BatchNorm, ReLU ({@code _ConvBNReLU}; PyTorch names {@code conv.0 ... conv.2}). */
public class ConvBnRelu extends Module implements Layer {
    public ConvBnRelu(NDManager manager, int in, int out, int kernel, int stride, int padding) {
        registerModule("conv", new Sequential(new Conv2d(manager, in, out, kernel, stride, padding, 1, false),
                new BatchNorm2d(manager, out), Activation.relu()));
    }

    /** A 1x1 convolution block. */
    public static ConvBnRelu pointwise(NDManager manager, int in, int out) {
        return new ConvBnRelu(manager, in, out, 1, 1, 0);
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("conv", x);
    }
}
