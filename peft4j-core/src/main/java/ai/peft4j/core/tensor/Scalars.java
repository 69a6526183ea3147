package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant that stays right under autograd. DJL's PyTorch engine turns the constant of
 * {@code x.mul(2f)} into a tensor over a Java direct buffer, applies the op and closes that tensor at once. Autograd
 * keeps the constant for the backward pass of {@code mul} and {@code div}, so once the garbage collector frees the
 * buffer the backward pass reads freed memory: gradients come out wrong now and then (seen as values like 1e35 or
 * 1e-22 instead of 2). Here the constant is a tensor that owns its memory, which autograd keeps alive.
 * Use these wherever a tensor that may carry gradients meets a constant.
 */
public final class Scalars {
    private Scalars() {}

    /** A scalar constant of {@code like}'s type that stays valid while autograd needs it; close it with the step. */
    public static NDArray of(NDArray like, float v) {
        return constant(like, v);
    }

    /** {@code x * v}. */
    public static NDArray mul(NDArray x, float v) {
        try (NDArray s = constant(x, v)) {
            return x.mul(s);
        }
    }

    /** {@code x / v}. */
    public static NDArray div(NDArray x, float v) {
        try (NDArray s = constant(x, v)) {
            return x.div(s);
        }
    }

    /** {@code x + v}. */
    public static NDArray add(NDArray x, float v) {
        try (NDArray s = constant(x, v)) {
            return x.add(s);
        }
    }

    /** {@code x - v}. */
    public static NDArray sub(NDArray x, float v) {
        try (NDArray s = constant(x, v)) {
            return x.sub(s);
        }
    }

    // full() allocates in libtorch, unlike create(), so closing the Java handle leaves autograd's reference valid.
    private static NDArray constant(NDArray like, float v) {
        return like.getManager().full(new Shape(), v, like.getDataType());
    }
}
