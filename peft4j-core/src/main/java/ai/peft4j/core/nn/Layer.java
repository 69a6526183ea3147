package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/** A module that is a function of one tensor. */
@FunctionalInterface
public interface Layer {
    NDArray forward(NDArray x);
}
