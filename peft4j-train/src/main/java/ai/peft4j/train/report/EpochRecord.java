package ai.peft4j.train.report;

import ai.peft4j.core.metrics.SegmentationScores;

/**
 * What one epoch of training gave: a row of the CSV log and a point of the curves.
 *
 * @param epoch 1-based, as the published logs count
 * @param learningRate the rate the epoch trained with
 * @param trainLoss mean of the steps' losses
 * @param valLoss mean validation loss over batches, or null when the epoch was not evaluated
 * @param scores validation metrics, or null when the epoch was not evaluated
 * @param seconds wall time of the epoch, validation included
 */
public record EpochRecord(int epoch, double learningRate, double trainLoss, Double valLoss,
        SegmentationScores scores, double seconds) {
    public boolean evaluated() {
        return valLoss != null;
    }
}
