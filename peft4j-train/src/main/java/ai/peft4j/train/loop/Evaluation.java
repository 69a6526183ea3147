package ai.peft4j.train.loop;

import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.metrics.SegmentationScores;

/**
 * The result of evaluating a model on a data source.
 *
 * @param loss mean of the batches' losses, as the published validation averages them
 * @param matrix pixel counts of ground truth against argmax prediction
 */
public record Evaluation(double loss, ConfusionMatrix matrix) {
    public SegmentationScores scores() {
        return matrix.scores();
    }
}
