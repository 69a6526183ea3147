package ai.peft4j.train.promptable;

/**
 * Medical-SAM-Adapter's validation scores ({@code utils.py : eval_seg}): each predicted mask's raw logits are
 * thresholded at 0.1, 0.3, 0.5, 0.7 and 0.9; at each threshold the mask's IoU is {@code (|P∩T| + 1e-6) /
 * (|P∪T| + 1e-6)} and its Dice {@code (2|P∩T| + 1e-4) / (|P| + |T| + 1e-4)}; both are averaged over the thresholds,
 * then over the masks. Ignored pixels (value 2 in the target) count for neither. Also kept: the pixel counts at
 * threshold 0 (the mask a user gets), for the toolkit's IoU and Dice of the pooled pixels.
 */
public final class PromptedScores {
    /** The published thresholds, on raw logits. */
    public static final double[] THRESHOLDS = {0.1, 0.3, 0.5, 0.7, 0.9};

    private double iouSum;
    private double diceSum;
    private int masks;
    private long tp;
    private long fp;
    private long fn;

    /** Adds one mask: {@code logits} and {@code target} (0, 1, or 2 ignored) of the same pixels. */
    public void add(float[] logits, int[] target) {
        if (logits.length != target.length) {
            throw new IllegalArgumentException(logits.length + " logits for " + target.length + " target pixels");
        }
        double iou = 0;
        double dice = 0;
        for (double th : THRESHOLDS) {
            long inter = 0;
            long pred = 0;
            long truth = 0;
            for (int i = 0; i < logits.length; i++) {
                if (target[i] == MaskPrompts.IGNORE) {
                    continue;
                }
                boolean p = logits[i] > th;
                boolean t = target[i] == 1;
                pred += p ? 1 : 0;
                truth += t ? 1 : 0;
                inter += p && t ? 1 : 0;
            }
            iou += (inter + 1e-6) / (pred + truth - inter + 1e-6);
            dice += (2.0 * inter + 1e-4) / (pred + truth + 1e-4);
        }
        iouSum += iou / THRESHOLDS.length;
        diceSum += dice / THRESHOLDS.length;
        masks++;
        for (int i = 0; i < logits.length; i++) {
            if (target[i] == MaskPrompts.IGNORE) {
                continue;
            }
            boolean p = logits[i] > 0;
            boolean t = target[i] == 1;
            tp += p && t ? 1 : 0;
            fp += p && !t ? 1 : 0;
            fn += !p && t ? 1 : 0;
        }
    }

    /** Masks scored. */
    public int masks() {
        return masks;
    }

    /** The published IoU: per mask, averaged over the thresholds, then over the masks. */
    public double iou() {
        return masks == 0 ? Double.NaN : iouSum / masks;
    }

    /** The published Dice, averaged as {@link #iou()}. */
    public double dice() {
        return masks == 0 ? Double.NaN : diceSum / masks;
    }

    /** The defect IoU of all masks' pixels pooled, at threshold 0. */
    public double pooledIou() {
        long d = tp + fp + fn;
        return d == 0 ? Double.NaN : (double) tp / d;
    }

    /** The defect Dice of all masks' pixels pooled, at threshold 0. */
    public double pooledDice() {
        long d = 2 * tp + fp + fn;
        return d == 0 ? Double.NaN : 2.0 * tp / d;
    }
}
