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
     * A loss by name, as configuration files give it: {@code ce}, {@code focal}, {@code dice} (the published Dice),
     * {@code dice-present} (per-class Dice over the classes present in the batch), {@code topk-ce} or
     * {@code topk-ce:K} (mean cross-entropy of the hardest fraction K of pixels, default 0.1), {@code lovasz}
     * (Lovasz-softmax over the batch) or {@code lovasz-image} (per image), or a sum such as {@code ce+dice} (the
     * published code's {@code dice_loss=True}), {@code focal+dice} or {@code topk-ce:0.05+lovasz}.
     *
     * @param classWeights per-class weights for cross-entropy, focal and top-k cross-entropy, or null for all ones
     */
    static SegmentationLoss parse(String spec, int numClasses, float[] classWeights) {
        List<SegmentationLoss> terms = new ArrayList<>();
        for (String raw : spec.toLowerCase(Locale.ROOT).split("\\+")) {
            String part = raw.trim();
            int colon = part.indexOf(':');
            String name = colon < 0 ? part : part.substring(0, colon).trim();
            String arg = colon < 0 ? null : part.substring(colon + 1).trim();
            if (arg != null && List.of("ce", "cross-entropy", "focal", "dice", "dice-present", "lovasz",
                    "lovasz-image").contains(name)) {
                throw new IllegalArgumentException("loss '" + name + "' in '" + spec + "' takes no ':' argument "
                        + "(only topk-ce:K does)");
            }
            switch (name) {
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
                case "dice-present":
                    terms.add(new PresentClassDiceLoss(numClasses));
                    break;
                case "topk-ce":
                    terms.add(new TopKCrossEntropyLoss(numClasses, classWeights, fraction(arg, spec)));
                    break;
                case "lovasz":
                    terms.add(new LovaszSoftmaxLoss(numClasses, false));
                    break;
                case "lovasz-image":
                    terms.add(new LovaszSoftmaxLoss(numClasses, true));
                    break;
                default:
                    throw new IllegalArgumentException("unknown loss '" + name + "' in '" + spec + "' (known: "
                            + KNOWN + ")");
            }
        }
        return terms.size() == 1 ? terms.get(0) : new CombinedLoss(terms);
    }

    /** The names {@link #parse} knows, for help texts and errors. */
    String KNOWN = "ce, focal, dice, dice-present, topk-ce[:K], lovasz, lovasz-image, and sums such as ce+dice";

    private static double fraction(String arg, String spec) {
        if (arg == null) {
            return TopKCrossEntropyLoss.DEFAULT_FRACTION;
        }
        try {
            double k = Double.parseDouble(arg);
            if (k > 0 && k <= 1) {
                return k;
            }
        } catch (NumberFormatException e) {
            // Explained below.
        }
        throw new IllegalArgumentException("loss 'topk-ce:" + arg + "' in '" + spec + "': K is the fraction of "
                + "hardest pixels to average, in (0, 1], e.g. topk-ce:0.1");
    }
}
