package ai.peft4j.core.metrics;

/**
 * The metrics of one evaluation; means are over all classes, background included, as published.
 *
 * @param meanIou mIoU
 * @param meanRecall mPA (the published name for mean recall)
 * @param meanPrecision mPrecision
 * @param accuracy pixel accuracy
 * @param meanDice mean Dice (F1)
 */
public record SegmentationScores(double meanIou, double meanRecall, double meanPrecision, double accuracy,
        double meanDice, double[] iou, double[] recall, double[] precision, double[] dice) {}
