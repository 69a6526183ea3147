package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.peft4j.core.tensor.Reductions;
import ai.peft4j.core.tensor.Scalars;

/**
 * Per-class soft Dice averaged over the classes present in the batch ({@code dice-present}): on softmax
 * probabilities of the non-ignored pixels, per class over the whole batch, score {@code (2 tp + s) / (sum(p) +
 * sum(t) + s)} with {@code s = 1e-5}, loss {@code 1 - mean(score)} over the classes that occur in the targets or
 * in the prediction's argmax. A class absent from both takes no part: with rare defects most batches lack most
 * classes, and the published {@link DiceLoss} would score each such class near 0 (when it holds some probability
 * mass) or near 1 (when it holds none), either way drowning the classes that are there. Unlike the published Dice,
 * ignored pixels count nowhere. A batch whose pixels are all ignored gives NaN (0/0), as cross-entropy does.
 */
public final class PresentClassDiceLoss implements SegmentationLoss {
    private static final float SMOOTH = 1e-5f;
    private final int numClasses;

    public PresentClassDiceLoss(int numClasses) {
        this.numClasses = numClasses;
    }

    @Override
    public NDArray compute(NDArray logits, NDArray labels) {
        OneHot.checkShapes(logits, labels, numClasses);
        NDArray target = OneHot.of(labels, numClasses);
        NDArray valid = target.sum(new int[] {1}, true);
        NDArray probs = logits.softmax(1).mul(valid);
        NDArray tp = Reductions.sum(target.mul(probs), 0, 2, 3);
        NDArray targetSum = Reductions.sum(target, 0, 2, 3);
        NDArray score = Scalars.mul(tp, 2f).add(SMOOTH).div(Reductions.sum(probs, 0, 2, 3).add(targetSum)
                .add(SMOOTH));
        // Presence is a selection, not a function to differentiate: argmax and counts carry no gradient. The argmax
        // is the prediction's (the first class of a tie), not every maximal class.
        NDArray predicted = OneHot.of(logits.argMax(1).toType(DataType.INT32, false), numClasses).mul(valid);
        NDArray present = Reductions.sum(predicted, 0, 2, 3).add(targetSum).gt(0).toType(DataType.FLOAT32, false);
        return score.mul(present).sum().div(present.sum()).neg().add(1);
    }

    @Override
    public String toString() {
        return "dice-present";
    }
}
