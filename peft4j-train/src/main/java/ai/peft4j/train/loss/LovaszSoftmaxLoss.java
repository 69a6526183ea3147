package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.tensor.Scalars;

/**
 * The Lovasz-softmax loss of Berman, Rannen Triki and Blaschko (CVPR 2018), a convex surrogate of the Jaccard loss,
 * as their reference {@code lovasz_softmax(probas, labels, classes='present', per_image=False, ignore)}: over the
 * non-ignored pixels of the whole batch, for each class present in the targets, the pixel errors
 * {@code |t - p|} sorted in decreasing order are dotted with the gradient of the Lovasz extension of the Jaccard
 * loss at that order; the loss is the mean over present classes (0 when no pixel is counted, as the reference's
 * empty mean). With {@code perImage} each image gets its own loss and the batch their mean (the reference's
 * {@code per_image=True}); images without counted pixels are left out.
 *
 * <p>Only the errors carry gradients; the sort order and the Lovasz weights are computed apart from autograd, as the
 * reference detaches them, so the dot product with the weights put back in pixel order is the same function.
 */
public final class LovaszSoftmaxLoss implements SegmentationLoss {
    private final int numClasses;
    private final boolean perImage;

    public LovaszSoftmaxLoss(int numClasses, boolean perImage) {
        this.numClasses = numClasses;
        this.perImage = perImage;
    }

    @Override
    public NDArray compute(NDArray logits, NDArray labels) {
        OneHot.checkShapes(logits, labels, numClasses);
        NDArray probs = logits.softmax(1);
        int[] ids = labels.toType(DataType.INT32, false).toIntArray();
        if (!perImage) {
            NDArray loss = flat(probs, ids, 0, ids.length);
            return loss != null ? loss : Scalars.mul(probs.sum(), 0f);
        }
        long n = labels.getShape().get(0);
        int pixels = (int) (ids.length / n);
        NDArray total = null;
        int counted = 0;
        for (int i = 0; i < n; i++) {
            NDArray loss = flat(probs.get(i).expandDims(0), ids, i * pixels, pixels);
            if (loss != null) {
                total = total == null ? loss : total.add(loss);
                counted++;
            }
        }
        return total == null ? Scalars.mul(probs.sum(), 0f) : Scalars.div(total, counted);
    }

    /**
     * The loss of {@code probs} ({@code [N, C, H, W]}) whose labels are {@code ids[from, from + count)}; null when
     * no class is present there.
     */
    private NDArray flat(NDArray probs, int[] ids, int from, int count) {
        NDManager m = probs.getManager();
        NDArray sum = null;
        int present = 0;
        for (int c = 0; c < numClasses; c++) {
            int gts = 0;
            for (int i = 0; i < count; i++) {
                gts += ids[from + i] == c ? 1 : 0;
            }
            if (gts == 0) {
                continue;
            }
            float[] fg = new float[count];
            for (int i = 0; i < count; i++) {
                fg[i] = ids[from + i] == c ? 1 : 0;
            }
            NDArray target = own(m.create(fg));
            NDArray p = probs.get(":, " + c).flatten();
            NDArray errors = target.sub(p).abs();
            long[] order = errors.argSort(0, false).toLongArray();
            float[] weights = new float[count];
            int cumFg = 0;
            int cumBg = 0;
            double previous = 0;
            // Lovasz gradient of the Jaccard loss at this order: the increments of 1 - |gt - prefix| / |gt + prefix|.
            for (long o : order) {
                int i = (int) o;
                int label = ids[from + i];
                if (label < 0 || label >= numClasses) {
                    continue;
                }
                if (label == c) {
                    cumFg++;
                } else {
                    cumBg++;
                }
                double jaccard = 1 - (gts - cumFg) / (double) (gts + cumBg);
                weights[i] = (float) (jaccard - previous);
                previous = jaccard;
            }
            NDArray term = errors.mul(own(m.create(weights))).sum();
            sum = sum == null ? term : sum.add(term);
            present++;
        }
        return sum == null ? null : Scalars.div(sum, present);
    }

    /** A copy in libtorch's memory: autograd may keep it after the Java buffer of {@code create} is freed. */
    private static NDArray own(NDArray created) {
        NDArray copy = created.duplicate();
        created.close();
        return copy;
    }

    @Override
    public String toString() {
        return perImage ? "lovasz-image" : "lovasz";
    }
}
