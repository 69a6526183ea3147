package ai.peft4j.peft.sam;

/** How long AdaLoRA's rank allocator keeps its importance averages. */
public enum AllocatorLife {
    /**
     * The published {@code train_sam}: a new allocator every batch, so the averages restart each step; with the
     * published target rank above the initial rank no singular value is ever masked (and the published code fails
     * once the schedule asks to mask, past {@code init_warmup} steps into an epoch). Nothing is masked here.
     */
    PER_BATCH,
    /** One allocator for the whole training, as AdaLoRA intends: the averages build up and the budget shrinks. */
    PERSISTENT
}
