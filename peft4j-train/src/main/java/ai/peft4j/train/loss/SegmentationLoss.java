package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A loss of logits {@code [N, C, H, W]} against class ids {@code [N, H, W]} (integer). Labels outside
 * {@code [0, C)}, the ignore label {@code C} among them, take no part.
 */
@FunctionalInterface
public interface SegmentationLoss {
    /** The scalar loss; differentiable with respect to {@code logits}. */
    NDArray compute(NDArray logits, NDArray labels);

    /**
     * A loss by name, as configuration files give it: {@code ce}, {@code focal}, {@code dice}, or a sum such as
     * {@code ce+dice} (the published code's {@code dice_loss=True}) or {@code focal+dice}.
     *
     * @param classWeights per-class weights for cross-entropy and focal, or null for all ones
     */
    static SegmentationLoss parse(String spec, int numClasses, float[] classWeights) {
        List<SegmentationLoss> terms = new ArrayList<>();
        for (String part : spec.toLowerCase(Locale.ROOT).split("\\+")) {
            switch (part.trim()) {
                case "ce":
                case "cross-entropy":
                    terms.add(new CrossEntropyLoss(numClasses, classWeights));
                    break;
                case "focal":
                    terms.add(new FocalLoss(numClasses, classWeights));
                    break;
                case "dice":
                    terms.add(new DiceLoss(numClasses));
                    break;
                default:
                    throw new IllegalArgumentException("unknown loss '" + part.trim() + "' in '" + spec
                            + "' (known: ce, focal, dice, and sums such as ce+dice)");
            }
        }
        return terms.size() == 1 ? terms.get(0) : new CombinedLoss(terms);
    }
}
