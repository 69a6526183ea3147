package ai.peft4j.train.metrics;

import java.util.List;

/**
 * Image-level scores of an evaluation (see {@link ImageVerdicts}); precision and recall are 0, never NaN, when
 * nothing is called defective or nothing is defective.
 *
 * @param threshold the verdict threshold in use
 * @param images images scored
 * @param defective images whose ground truth has a defect pixel
 * @param truePositives defective images called defective at {@code threshold}
 * @param falsePositives good images called defective at {@code threshold}
 * @param averagePrecision sklearn's {@code average_precision_score} with the largest predicted defect area as the
 *     score: the step-wise sum of {@code (R_k - R_(k-1)) P_k} over {@link #curve}, no interpolation; NaN when no
 *     image is defective
 * @param bestF1Threshold the threshold, in {@code threshold}'s unit, that maximises F1 on the scored images
 *     themselves (an optimistic choice: pick it on a validation split before trusting it on a test split)
 * @param curve the precision-recall curve, highest score first
 * @param instances ground-truth instances (8-connected regions) per class; 0 for background
 * @param instancesHit of those, the ones with at least one pixel predicted as their class
 * @param instanceRecall {@code instancesHit / instances}; NaN for a class without instances
 */
public record VerdictScores(VerdictThreshold threshold, int images, int defective, int truePositives,
        int falsePositives, double precision, double recall, double f1, double averagePrecision,
        VerdictThreshold bestF1Threshold, double bestF1, List<Point> curve, long[] instances, long[] instancesHit,
        double[] instanceRecall) {
    /**
     * One point of the curve.
     *
     * @param atLeast images whose largest predicted defect area is at least this are called defective
     * @param threshold the verdict threshold ({@code area > threshold}) that gives this point, or null when only
     *     calling images without any predicted defect pixel defective does (not a threshold the option takes)
     */
    public record Point(double atLeast, Double threshold, double precision, double recall) {}
}
