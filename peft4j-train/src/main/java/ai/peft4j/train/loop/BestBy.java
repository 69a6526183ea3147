package ai.peft4j.train.loop;

/** What makes a checkpoint the best so far. Ties go to the later epoch, as the published {@code <=} does. */
public enum BestBy {
    /** Highest validation mIoU (peft4j's default). */
    MIOU,
    /** Lowest validation loss (the published {@code best_epoch_weights.pth}). */
    VAL_LOSS
}
