package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.init.Initializers;

/**
 * What {@link Conv2d} and {@link ConvTranspose2d} share: channels, a square kernel and its stride, a weight in
 * PyTorch's layout and an optional bias, both drawn by PyTorch's default initialisation from the fan-in the layer
 * gives, and the check of an NCHW input.
 */
public abstract class ConvLayer extends Module implements Layer {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;

    protected ConvLayer(NDManager manager, int inChannels, int outChannels, int kernel, int stride, Shape weight,
            int fanIn, boolean bias) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        registerParameter("weight", Initializers.pytorchDefault(manager, weight, fanIn));
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

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public Parameter weight() {
        return parameter("weight");
    }

    public Parameter bias() {
        return hasParameter("bias") ? parameter("bias") : null;
    }

    /** Fails, naming the layer ({@code kind}) and the shape, unless {@code x} is {@code [N, in, H, W]}. */
    protected void checkInput(NDArray x, String kind) {
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != inChannels) {
            throw new IllegalArgumentException(kind + "(" + inChannels + " -> " + outChannels
                    + ") expects [N, " + inChannels + ", H, W], got " + x.getShape());
        }
    }

    /**
     * Adds the bias, if any, over the channels of an NCHW output, in place when {@code inPlace} (only where the
     * output is not saved for backward). The bias view goes with the activation's arrays: made from the bias, it
     * would live as long as the model's arrays.
     */
    protected NDArray withBias(NDArray y, boolean inPlace) {
        Parameter b = bias();
        if (b == null) {
            return y;
        }
        NDArray view = near(b.data().reshape(1, outChannels, 1, 1), y);
        return inPlace ? y.addi(view) : y.add(view);
    }
}
