package ai.peft4j.train.loss;

import ai.peft4j.core.tensor.Scalars;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.tensor.Reductions;

/**
 * Dice loss as the published {@code Dice_loss} (beta 1, smooth 1e-5): on softmax probabilities, per class over
 * the whole batch, {@code tp = sum(t p)}, {@code fp = sum(p) - tp}, {@code fn = sum(t) - tp}, score
 * {@code ((1 + b^2) tp + s) / ((1 + b^2) tp + b^2 fn + fp + s)}, loss {@code 1 - mean(score)}. The ignore channel
 * is dropped from the targets only, so, as published, probabilities of ignored pixels still count as false
 * positives.
 */
public final class DiceLoss implements SegmentationLoss {
    private final int numClasses;
    private final float beta;
    private final float smooth;

    public DiceLoss(int numClasses) {
        this(numClasses, 1f, 1e-5f);
    }

    public DiceLoss(int numClasses, float beta, float smooth) {
        this.numClasses = numClasses;
        this.beta = beta;
        this.smooth = smooth;
    }

    @Override
    public NDArray compute(NDArray logits, NDArray labels) {
        OneHot.checkShapes(logits, labels, numClasses);
        NDArray target = OneHot.of(labels, numClasses);
        NDArray probs = logits.softmax(1);
        NDArray tp = Reductions.sum(target.mul(probs), 0, 2, 3);
        NDArray fp = Reductions.sum(probs, 0, 2, 3).sub(tp);
        NDArray fn = Reductions.sum(target, 0, 2, 3).sub(tp);
        float b2 = beta * beta;
        NDArray onePlusB2 = Scalars.of(tp, 1 + b2);
        NDArray num = tp.mul(onePlusB2).add(smooth);
        NDArray score = num.div(tp.mul(onePlusB2).add(fn.mul(Scalars.of(tp, b2))).add(fp).add(smooth));
        return score.mean().neg().add(1);
    }

    @Override
    public String toString() {
        return "dice";
    }
}
