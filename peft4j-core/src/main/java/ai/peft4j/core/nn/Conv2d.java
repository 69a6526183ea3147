package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;

/** 2-D convolution on NCHW tensors; weight {@code [out, in / groups, kh, kw]} as in PyTorch. */
public class Conv2d extends ConvLayer {
    private final int padding;
    private final int groups;

    public Conv2d(NDManager manager, int inChannels, int outChannels, int kernel, int stride, int padding,
            int groups, boolean bias) {
        super(manager, inChannels, outChannels, kernel, stride, weightShape(inChannels, outChannels, kernel, groups),
                inChannels / groups * kernel * kernel, bias);
        this.padding = padding;
        this.groups = groups;
    }

    private static Shape weightShape(int inChannels, int outChannels, int kernel, int groups) {
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("channels " + inChannels + " -> " + outChannels
                    + " are not divisible by groups " + groups);
        }
        return new Shape(outChannels, inChannels / groups, kernel, kernel);
    }

    /** A convolution with bias, stride 1 and "same" padding for odd kernels. */
    public static Conv2d same(NDManager manager, int in, int out, int kernel) {
        return new Conv2d(manager, in, out, kernel, 1, kernel / 2, 1, true);
    }

    public int padding() {
        return padding;
    }

    public int groups() {
        return groups;
    }

    @Override
    public NDArray forward(NDArray x) {
        checkInput(x, "Conv2d");
        // The bias is added apart from the convolution: the CPU kernels sum its gradient naively over all output
        // pixels (errors near 1e-5 at 224x224, 4e-4 relative), while a broadcast add gets PyTorch's accurate sum.
        // In place: the convolution's output is not saved for backward, so no second full-size map is made.
        NDArray y = withBias(ai.djl.nn.convolutional.Conv2d.conv2d(x, weight().data(), null,
                new Shape(stride(), stride()), new Shape(padding, padding), new Shape(1, 1), groups)
                .singletonOrThrow(), true);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.CONV, y.size() * (inChannels() / groups) * kernel() * kernel());
        }
        return y;
    }

    @Override
    public String toString() {
        return "Conv2d(" + inChannels() + " -> " + outChannels() + ", k" + kernel() + ", s" + stride() + ", p"
                + padding + (groups > 1 ? ", g" + groups : "") + ")";
    }
}
