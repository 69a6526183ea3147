package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.init.Initializers;

/**
 * Transposed 2-D convolution on NCHW tensors, as {@code nn.ConvTranspose2d} with a stride equal to the kernel and no
 * padding or groups (SAM's mask upscaling): each input pixel paints its own {@code k x k} block of the output, so
 * the output is {@code k} times larger. Weight {@code [in, out, k, k]} as in PyTorch (in and out swapped against
 * {@link Conv2d}).
 *
 * <p>DJL 0.35.1's PyTorch engine does not implement deconvolution ("Not implemented"); with non-overlapping blocks
 * the layer is one matrix product over the channels followed by a reshuffle, which is exact and differentiable.
 */
public class ConvTranspose2d extends Module implements Layer {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;

    public ConvTranspose2d(NDManager manager, int inChannels, int outChannels, int kernel, int stride,
            boolean bias) {
        if (kernel != stride) {
            throw new IllegalArgumentException("ConvTranspose2d supports stride equal to the kernel only, got kernel "
                    + kernel + " and stride " + stride);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        // PyTorch computes the default init's fan-in from weight.size(1) * k * k, which here is the output side.
        int fanIn = outChannels * kernel * kernel;
        registerParameter("weight", Initializers.pytorchDefault(manager,
                new Shape(inChannels, outChannels, kernel, kernel), fanIn));
        if (bias) {
            registerParameter("bias", Initializers.pytorchDefault(manager, new Shape(outChannels), fanIn));
        }
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
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
            throw new IllegalArgumentException("ConvTranspose2d(" + inChannels + " -> " + outChannels
                    + ") expects [N, " + inChannels + ", H, W], got " + x.getShape());
        }
        Shape s = x.getShape();
        long n = s.get(0);
        long h = s.get(2);
        long w = s.get(3);
        int k = kernel;
        // [N, H, W, in] x [in, out*k*k] -> [N, H, W, out, k, k] -> [N, out, H, k, W, k] -> [N, out, H*k, W*k]
        NDArray flat = weight().data().reshape(inChannels, (long) outChannels * k * k);
        NDArray y = x.transpose(0, 2, 3, 1).matMul(near(flat, x)).reshape(n, h, w, outChannels, k, k)
                .transpose(0, 3, 1, 4, 2, 5).reshape(n, outChannels, h * k, w * k);
        Parameter b = bias();
        if (b != null) {
            y = y.add(near(b.data().reshape(1, outChannels, 1, 1), y));
        }
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.CONV, x.size() * outChannels * kernel * kernel);
        }
        return y;
    }

    @Override
    public String toString() {
        return "ConvTranspose2d(" + inChannels + " -> " + outChannels + ", k" + kernel + ", s" + stride + ")";
    }
}
