package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic with constants that is safe under autograd. DJL's {@code x.mul(2f)} (also {@code div}, {@code pow})
 * wraps the number in a tensor over a direct buffer and closes it at once; autograd keeps that tensor for the
 * backward pass, and once the buffer is garbage-collected its memory may hold anything, so gradients turn to
 * garbage or NaN at random. Constants made here stay open with the other arrays of the step until backward ran.
 */
public final class Scalars {
    private Scalars() {}

    /** A scalar tensor in the manager of {@code like}, of its data type. */
    public static NDArray of(NDArray like, float value) {
        return like.getManager().create(value).toType(like.getDataType(), false);
    }

    /** {@code x * value}. */
    public static NDArray mul(NDArray x, float value) {
        return x.mul(of(x, value));
    }

    /** {@code x / value}. */
    public static NDArray div(NDArray x, float value) {
        return x.div(of(x, value));
    }
}
