package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.init.Initializers;

/** {@code y = x W^T + b} over the last axis; weight {@code [out, in]} as in PyTorch. */
public class Linear extends Module implements Layer {
    private final int inFeatures;
    private final int outFeatures;

    public Linear(NDManager manager, int inFeatures, int outFeatures, boolean bias) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        registerParameter("weight", Initializers.pytorchDefault(manager, new Shape(outFeatures, inFeatures),
                inFeatures));
        if (bias) {
            registerParameter("bias", Initializers.pytorchDefault(manager, new Shape(outFeatures), inFeatures));
        }
    }

    /**
     * A layer over an existing weight {@code [out, in]} (and bias, or null), which it shares rather than copies: how
     * a language model's output layer is tied to its token embedding table.
     */
    public Linear(Parameter weight, Parameter bias) {
        Shape s = weight.shape();
        if (s.dimension() != 2 || (bias != null && bias.shape().get(0) != s.get(0))) {
            throw new IllegalArgumentException("a linear layer needs a weight [out, in] and a bias [out], got "
                    + s + (bias == null ? "" : " and " + bias.shape()));
        }
        this.outFeatures = Math.toIntExact(s.get(0));
        this.inFeatures = Math.toIntExact(s.get(1));
        addParameter("weight", weight);
        if (bias != null) {
            addParameter("bias", bias);
        }
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    public Parameter weight() {
        return parameter("weight");
    }

    /** The bias, or null when the layer has none. */
    public Parameter bias() {
        return hasParameter("bias") ? parameter("bias") : null;
    }

    @Override
    public NDArray forward(NDArray x) {
        Parameter b = bias();
        NDArray y = ai.djl.nn.core.Linear.linear(x, weight().data(), b == null ? null : b.data()).singletonOrThrow();
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.LINEAR, y.size() * inFeatures);
        }
        return y;
    }

    @Override
    public String toString() {
        return "Linear(" + inFeatures + " -> " + outFeatures + (bias() == null ? ", no bias)" : ")");
    }
}
