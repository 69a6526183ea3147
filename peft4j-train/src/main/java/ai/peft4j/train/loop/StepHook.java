package ai.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What a fine-tuning method adds to each training step, as AdaLoRA does: a term joined to the loss before backward
 * (its orthogonality regulariser), and work after the optimiser step while the gradients are still there (its rank
 * allocator's update and masking).
 */
public interface StepHook {
    /** A scalar added to the step's loss, computed in {@code manager}; null for none. */
    default NDArray penalty(NDManager manager) {
        return null;
    }

    /**
     * After the optimiser step of global step {@code step} (0-based over the whole training: epoch index times the
     * batches per epoch plus the batch index), before the gradients are cleared.
     *
     * @param epoch the 1-based epoch the step belongs to
     */
    void afterStep(long step, int epoch);

    /** After each epoch's checkpoint is written (and once a resumed run finds nothing left to do). */
    default void afterEpoch(int epoch) throws java.io.IOException {}
}
