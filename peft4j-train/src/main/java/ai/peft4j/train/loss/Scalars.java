package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;

/**
 * Scalar constants for differentiable arithmetic. DJL's {@code x.mul(2f)} (also {@code div}, {@code pow}) wraps the
 * number in a tensor over a direct buffer and closes it at once; autograd keeps that tensor for the backward pass,
 * and once the buffer is garbage-collected its memory may hold anything, so gradients turn to garbage or NaN at
 * random. A constant made here stays open with the other arrays of the step until backward has run.
 */
final class Scalars {
    private Scalars() {}

    static NDArray of(NDArray like, float value) {
        return like.getManager().create(value);
    }
}
