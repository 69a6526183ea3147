package ai.peft4j.train.loss;

import ai.peft4j.core.tensor.Scalars;

import ai.djl.ndarray.NDArray;

/**
 * Focal loss as the published bubbliiiing/TP-LoRA {@code Focal_Loss}: with {@code ce} the per-pixel weighted
 * cross-entropy (zero on ignored pixels) and {@code pt = exp(-ce)}, the loss is the mean of
 * {@code alpha * (1 - pt)^gamma * ce} over all pixels. Two details of the published form are kept: the class weight
 * enters {@code pt} too ({@code pt = p^w}), and ignored pixels count in the mean's denominator with a zero term.
 */
public final class FocalLoss implements SegmentationLoss {
    private final CrossEntropyLoss ce;
    private final float alpha;
    private final float gamma;

    /** The published defaults: alpha 0.5, gamma 2. */
    public FocalLoss(int numClasses, float[] classWeights) {
        this(numClasses, classWeights, 0.5f, 2f);
    }

    public FocalLoss(int numClasses, float[] classWeights, float alpha, float gamma) {
        this.ce = new CrossEntropyLoss(numClasses, classWeights);
        this.alpha = alpha;
        this.gamma = gamma;
    }

    @Override
    public NDArray compute(NDArray logits, NDArray labels) {
        NDArray perPixel = ce.perPixel(logits, labels);
        NDArray pt = perPixel.neg().exp();
        return pt.neg().add(1).pow(Scalars.of(pt, gamma)).mul(perPixel).mul(Scalars.of(pt, alpha)).mean();
    }

    @Override
    public String toString() {
        return "focal";
    }
}
