package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.init.Initializers;

/** 2-D convolution on NCHW tensors; weight {@code [out, in / groups, kh, kw]} as in PyTorch. */
public class Conv2d extends Module implements Layer {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int groups;

    public Conv2d(NDManager manager, int inChannels, int outChannels, int kernel, int stride, int padding,
            int groups, boolean bias) {
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("channels " + inChannels + " -> " + outChannels
                    + " are not divisible by groups " + groups);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
        int fanIn = inChannels / groups * kernel * kernel;
        registerParameter("weight", Initializers.pytorchDefault(manager,
                new Shape(outChannels, inChannels / groups, kernel, kernel), fanIn));
        if (bias) {
            registerParameter("bias", Initializers.pytorchDefault(manager, new Shape(outChannels), fanIn));
        }
    }

    /** A convolution with bias, stride 1 and "same" padding for odd kernels. */
    public static Conv2d same(NDManager manager, int in, int out, int kernel) {
        return new Conv2d(manager, in, out, kernel, 1, kernel / 2, 1, true);
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    public int groups() {
        return groups;
    }

    public Parameter weight() {
        return parameter("weight");
    }

    public Parameter bias() {
        return hasParameter("bias") ? parameter("bias") : null;
    }

    @Override
    public NDArray forward(NDArray x) {
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != inChannels) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + " -> " + outChannels
                    + ") expects [N, " + inChannels + ", H, W], got " + x.getShape());
        }
        Parameter b = bias();
        // The bias is added apart from the convolution: the CPU kernels sum its gradient naively over all output
        // pixels (errors near 1e-5 at 224x224, 4e-4 relative), while a broadcast add gets PyTorch's accurate sum.
        NDArray y = ai.djl.nn.convolutional.Conv2d.conv2d(x, weight().data(), null,
                new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), groups).singletonOrThrow();
        if (b != null) {
            // In place: the convolution's output is not saved for backward, so no second full-size map is made;
            // the bias view goes with the activation's arrays (made from the bias, it would live as long as the
            // model's arrays).
            y = y.addi(near(b.data().reshape(1, outChannels, 1, 1), y));
        }
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.CONV, y.size() * (inChannels / groups) * kernel * kernel);
        }
        return y;
    }

    @Override
    public String toString() {
        return "Conv2d(" + inChannels + " -> " + outChannels + ", k" + kernel + ", s" + stride + ", p" + padding
                + (groups > 1 ? ", g" + groups : "") + ")";
    }
}
