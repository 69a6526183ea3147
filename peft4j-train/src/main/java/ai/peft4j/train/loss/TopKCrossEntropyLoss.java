package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.peft4j.core.tensor.Scalars;

/**
 * Online hard example mining as top-k cross-entropy ({@code topk-ce:k}): the mean of the {@code ceil(k V)} largest
 * per-pixel cross-entropies of a batch, {@code V} its non-ignored pixels (class weights, if any, scale each pixel's
 * value before ranking, as in {@link CrossEntropyLoss}). The easy background pixels that make up nearly all of an
 * inspection image then stop diluting the few hard ones. {@code k = 1} is plain cross-entropy; the default
 * {@code k = 0.1} is a common choice (e.g. Wu et al. 2016, "Bridging category-level and instance-level semantic
 * image segmentation", use the hardest pixels of each batch). A batch whose pixels are all ignored gives NaN.
 */
public final class TopKCrossEntropyLoss implements SegmentationLoss {
    public static final double DEFAULT_FRACTION = 0.1;
    private final CrossEntropyLoss ce;
    private final double fraction;

    public TopKCrossEntropyLoss(int numClasses, float[] classWeights, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("top-k cross-entropy needs a fraction k in (0, 1], got " + fraction);
        }
        this.ce = new CrossEntropyLoss(numClasses, classWeights);
        this.fraction = fraction;
    }

    public double fraction() {
        return fraction;
    }

    @Override
    public NDArray compute(NDArray logits, NDArray labels) {
        NDArray perPixel = ce.perPixel(logits, labels).flatten();
        NDArray valid = OneHot.of(labels, ce.numClasses()).sum(new int[] {1}).flatten();
        long v = valid.sum().toType(DataType.INT64, false).getLong();
        if (v == 0) {
            return perPixel.sum().div(valid.sum());
        }
        // The small tolerance keeps k V = 3.0000000000000004 from taking a fourth pixel.
        int k = (int) Math.max(1, Math.ceil(fraction * v - 1e-9));
        // Ignored pixels hold 0, as an easy pixel may: lower them to -1 so that they are never among the top k.
        NDArray ranked = perPixel.add(valid).sub(1);
        NDList top = ranked.topK(k, 0, true, false);
        return Scalars.div(top.get(0).sum(), k);
    }

    @Override
    public String toString() {
        return fraction == DEFAULT_FRACTION ? "topk-ce" : "topk-ce:" + fraction;
    }
}
