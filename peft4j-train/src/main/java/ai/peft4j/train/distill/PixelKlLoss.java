package ai.peft4j.train.distill;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.core.tensor.Scalars;

/**
 * FastSegFormer's logit loss ("P&KL"): {@code (k1 T^2 KL(q_t || q_s) + (1 - k1) MSE(z_s, z_t)) / (W H)}, where
 * {@code q = softmax(z / T)} over classes, KL is summed over classes and pixels and averaged over the batch
 * ({@code F.kl_div(..., reduction='batchmean')}), MSE is the mean over all logits, and {@code W x H} is the
 * student's logit size. The teacher's logits are first resized to that size (bilinear, corners aligned).
 *
 * <p>The paper writes {@code 1/(W H) (k1 t^2 sum KL + (1 - k1) sum MSE)}; this follows the published code's
 * reading of it, in which the MSE term is already a mean when it is divided by {@code W H}.
 */
public final class PixelKlLoss {
    private final float temperature;
    private final float k1;

    public PixelKlLoss(float temperature, float k1) {
        this.temperature = temperature;
        this.k1 = k1;
    }

    /** The loss of student logits {@code [N, C, H, W]} against the teacher's (any size, no gradient). */
    public NDArray compute(NDArray teacherLogits, NDArray studentLogits) {
        long h = studentLogits.getShape().get(2);
        long w = studentLogits.getShape().get(3);
        long n = studentLogits.getShape().get(0);
        if (teacherLogits.getShape().get(1) != studentLogits.getShape().get(1)) {
            throw new IllegalArgumentException("teacher and student predict different numbers of classes: "
                    + teacherLogits.getShape() + " vs " + studentLogits.getShape());
        }
        NDArray t = Resize.bilinear(teacherLogits, h, w, true);
        NDArray logQs = Scalars.div(studentLogits, temperature).logSoftmax(1);
        NDArray logQt = Scalars.div(t, temperature).logSoftmax(1);
        NDArray kl = Scalars.mul(logQt.exp().mul(logQt.sub(logQs)).sum(), temperature * temperature / n);
        NDArray mse = studentLogits.sub(t).square().mean();
        return Scalars.div(Scalars.mul(kl, k1).add(Scalars.mul(mse, 1 - k1)), (float) (h * w));
    }
}
