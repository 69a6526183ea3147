package ai.peft4j.core.nn;

import ai.peft4j.core.tensor.Scalars;
import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;
import ai.peft4j.core.tensor.Scalars;

/**
 * A parameter-free element-wise function as a module, so that it takes its index in a {@link Sequential} as
 * {@code nn.ReLU()} does in PyTorch and state-dict indices line up.
 */
public final class Activation extends Module implements Layer {
    private final String name;
    private final UnaryOperator<NDArray> fn;

    private Activation(String name, UnaryOperator<NDArray> fn) {
        this.name = name;
        this.fn = fn;
    }

    /** The activations by name, for configuration values. */
    public enum Kind {
        IDENTITY, RELU, GELU, QUICK_GELU, SIGMOID
    }

    public static Activation of(Kind kind) {
        switch (kind) {
            case RELU: return relu();
            case GELU: return gelu();
            case QUICK_GELU: return quickGelu();
            case SIGMOID: return sigmoid();
            default: return identity();
        }
    }

    public static Activation relu() {
        return new Activation("ReLU", ai.djl.nn.Activation::relu);
    }

    /** GELU with the exact erf form, PyTorch's {@code nn.GELU()} default. */
    public static Activation gelu() {
        return new Activation("GELU", ai.djl.nn.Activation::gelu);
    }

    public static Activation sigmoid() {
        return new Activation("Sigmoid", ai.djl.nn.Activation::sigmoid);
    }

    /** {@code x * sigmoid(1.702 x)}, the approximation CLIP and Convpass call QuickGELU. */
    public static Activation quickGelu() {
        return new Activation("QuickGELU", x -> x.mul(ai.djl.nn.Activation.sigmoid(Scalars.mul(x, 1.702f))));
    }

    public static Activation identity() {
        return new Activation("Identity", x -> x);
    }

    @Override
    public NDArray forward(NDArray x) {
        return fn.apply(x);
    }

    @Override
    public String toString() {
        return name;
    }
}
