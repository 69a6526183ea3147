package ai.peft4j.train.loop;

import java.util.List;

/** Training stopped because a loss or gradient norm was NaN or infinite; the message says where and what to try. */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final int step;
    private final List<String> batchIds;

    TrainingDivergedException(String what, double value, int epoch, int step, List<String> batchIds,
            double learningRate, String lastCheckpoint) {
        super(what + " is " + value + " at epoch " + epoch + ", step " + step + " (batch " + String.join(", ",
                batchIds) + "). Training stopped; " + (lastCheckpoint == null ? "no checkpoint was written yet"
                        : "the last checkpoint " + lastCheckpoint + " is intact") + ". Try a lower learning rate "
                + "(this epoch's is " + String.format("%.3g", learningRate) + ") or gradient clipping, and check "
                + "these samples: a batch whose pixels all carry the ignore label gives a NaN cross-entropy.");
        this.epoch = epoch;
        this.step = step;
        this.batchIds = List.copyOf(batchIds);
    }

    /** 1-based epoch. */
    public int epoch() {
        return epoch;
    }

    /** 1-based step within the epoch. */
    public int step() {
        return step;
    }

    public List<String> batchIds() {
        return batchIds;
    }
}
