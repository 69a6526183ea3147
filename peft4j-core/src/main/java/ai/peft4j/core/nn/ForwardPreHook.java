package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * Changes what a one-input layer receives, as PyTorch's {@code register_forward_pre_hook} does: a method that adds
 * a term to a block's input (VPT's decoder prompts) attaches this way, without model code knowing about it.
 */
@FunctionalInterface
public interface ForwardPreHook {
    /**
     * @param module the module about to run
     * @param input its input
     * @return the input to run it on
     */
    NDArray apply(Module module, NDArray input);

    /** As {@link ForwardHook#isStateless()}. */
    default boolean isStateless() {
        return false;
    }
}
