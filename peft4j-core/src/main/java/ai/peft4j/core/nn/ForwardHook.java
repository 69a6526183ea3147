package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * Changes what a module returns, as PyTorch's {@code register_forward_hook} does: it sees the module, its inputs
 * and its output, and returns the output to use. Fine-tuning methods attach this way, so no model code changes.
 */
@FunctionalInterface
public interface ForwardHook {
    /**
     * @param module the module that ran
     * @param inputs its inputs, in the order of its forward method (tensors, or {@link TokenGrid}s)
     * @param output what it computed
     * @return the output to pass on
     */
    NDArray apply(Module module, Object[] inputs, NDArray output);

    /**
     * True when the result depends on the arguments and parameters only and the hook keeps no array (a low-rank
     * update, not a hook that records features): a training step's {@link StepMemory} may then free the module's
     * intermediates and recompute it. False unless a hook says so.
     */
    default boolean isStateless() {
        return false;
    }
}
