package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;

/**
 * Pixel-wise cross-entropy as {@code torch.nn.CrossEntropyLoss(weight=w, ignore_index=C)}: the weighted mean
 * {@code -sum_i w[y_i] log p_i[y_i] / sum_i w[y_i]} over the pixels whose label is a class. Like PyTorch, a batch
 * in which every pixel is ignored gives NaN (0/0), which the trainer reports.
 */
public final class CrossEntropyLoss implements SegmentationLoss {
    private final int numClasses;
    private final float[] classWeights;

    public CrossEntropyLoss(int numClasses) {
        this(numClasses, null);
    }

    /** @param classWeights one weight per class, or null for all ones (the published default) */
    public CrossEntropyLoss(int numClasses, float[] classWeights) {
        this.numClasses = numClasses;
        this.classWeights = OneHot.checkWeights(classWeights, numClasses);
    }

    @Override
    public NDArray compute(NDArray logits, NDArray labels) {
        OneHot.checkShapes(logits, labels, numClasses);
        NDArray weighted = OneHot.of(labels, numClasses).mul(OneHot.weights(labels, classWeights, numClasses));
        NDArray logp = logits.logSoftmax(1);
        return weighted.mul(logp).sum().neg().div(weighted.sum());
    }

    /** Per-pixel {@code w[y] * -log p[y]} ({@code [N, H, W]}), zero on ignored pixels: PyTorch's reduction='none'. */
    NDArray perPixel(NDArray logits, NDArray labels) {
        OneHot.checkShapes(logits, labels, numClasses);
        NDArray weighted = OneHot.of(labels, numClasses).mul(OneHot.weights(labels, classWeights, numClasses));
        return weighted.mul(logits.logSoftmax(1)).sum(new int[] {1}).neg();
    }

    int numClasses() {
        return numClasses;
    }

    @Override
    public String toString() {
        return "ce";
    }
}
