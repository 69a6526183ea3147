package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;

/**
 * Transposed 2-D convolution on NCHW tensors, as {@code nn.ConvTranspose2d} with a stride equal to the kernel and no
 * padding or groups (SAM's mask upscaling): each input pixel paints its own {@code k x k} block of the output, so
 * the output is {@code k} times larger. Weight {@code [in, out, k, k]} as in PyTorch (in and out swapped against
 * {@link Conv2d}).
 *
 * <p>DJL 0.35.1's PyTorch engine does not implement deconvolution ("Not implemented"); with non-overlapping blocks
 * the layer is one matrix product over the channels followed by a reshuffle, which is exact and differentiable.
 */
public class ConvTranspose2d extends ConvLayer {
    public ConvTranspose2d(NDManager manager, int inChannels, int outChannels, int kernel, int stride,
            boolean bias) {
        // PyTorch computes the default init's fan-in from weight.size(1) * k * k, which here is the output side.
        super(manager, inChannels, outChannels, kernel, stride, weightShape(inChannels, outChannels, kernel, stride),
                outChannels * kernel * kernel, bias);
    }

    private static Shape weightShape(int inChannels, int outChannels, int kernel, int stride) {
        if (kernel != stride) {
            throw new IllegalArgumentException("ConvTranspose2d supports stride equal to the kernel only, got kernel "
                    + kernel + " and stride " + stride);
        }
        return new Shape(inChannels, outChannels, kernel, kernel);
    }

    @Override
    public NDArray forward(NDArray x) {
        checkInput(x, "ConvTranspose2d");
        Shape s = x.getShape();
        long n = s.get(0);
        long h = s.get(2);
        long w = s.get(3);
        int k = kernel();
        int in = inChannels();
        int out = outChannels();
        // [N, H, W, in] x [in, out*k*k] -> [N, H, W, out, k, k] -> [N, out, H, k, W, k] -> [N, out, H*k, W*k]
        NDArray flat = weight().data().reshape(in, (long) out * k * k);
        NDArray y = withBias(x.transpose(0, 2, 3, 1).matMul(near(flat, x)).reshape(n, h, w, out, k, k)
                .transpose(0, 3, 1, 4, 2, 5).reshape(n, out, h * k, w * k), false);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.CONV, x.size() * out * k * k);
        }
        return y;
    }

    @Override
    public String toString() {
        return "ConvTranspose2d(" + inChannels() + " -> " + outChannels() + ", k" + kernel() + ", s" + stride() + ")";
    }
}
