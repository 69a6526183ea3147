package ai.peft4j.train.classify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * timm's {@code SoftTargetCrossEntropy}, which peft-vit trains with:
 * {@code mean_n sum_c -t[n, c] log_softmax(x)[n, c]}, and the targets of class ids with label smoothing {@code e}: {@code (1 - e) onehot + e / C}.
 */
public final class SoftTargetCrossEntropy {
    private SoftTargetCrossEntropy() {}

    /** The loss of logits {@code [N, C]} against soft targets {@code [N, C]}. */
    public static NDArray loss(NDArray logits, NDArray targets) {
        return logits.logSoftmax(1).mul(targets).sum(new int[] {1}).neg().mean();
    }

    /** Soft targets {@code [N, C]} of class ids {@code [N]}. */
    public static NDArray targets(NDArray labels, int classes, double smoothing) {
        NDArray onehot = labels.toType(DataType.INT32, false).oneHot(classes).toType(DataType.FLOAT32, false);
        return smoothing == 0 ? onehot : onehot.mul(1 - smoothing).add(smoothing / classes);
    }
}
