package ai.peft4j.train.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Reductions;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.core.tensor.Scalars;
import java.util.List;

/**
 * Normalised feature distillation (NFD), as the FastSegFormer paper defines it:
 * {@code sum_i ||Normal(F_t^i) - Normal(P_i(F_s^i))||_2 / (W_s H_s)}, where {@code Normal} standardises each
 * channel of each sample over its pixels (unbiased standard deviation, as {@code torch.std}), the teacher map is
 * resized to the student map's size (bilinear, corners aligned), {@code P_i} is a trainable 1x1 convolution
 * (with bias) from the student's channels to the teacher's (none when they agree), the norm is taken over the
 * whole batch, and {@code W_s x H_s} is the student map's size.
 *
 * <p>The published {@code NFD_loss_after_conv1x1} differs, and this follows the paper: it never calls its
 * {@code Normal}, reads both sizes from the student map (so never resizes), builds the 1x1 convolution anew with
 * random weights at every step and leaves it out of the optimiser; its caller assigns instead of adding, so
 * only the last pair counts. Here the projections are children of this module ({@code 0}, {@code 1}, ... by pair),
 * trained and saved with the student.
 */
public final class NormalisedFeatureLoss extends Module {
    private final List<FeaturePair> pairs;
    private final float epsilon;

    /**
     * @param teacherChannels channels of each pair's teacher map
     * @param studentChannels channels of each pair's student map
     */
    public NormalisedFeatureLoss(NDManager manager, List<FeaturePair> pairs, int[] teacherChannels,
            int[] studentChannels, float epsilon) {
        if (teacherChannels.length != pairs.size() || studentChannels.length != pairs.size()) {
            throw new IllegalArgumentException("channel counts for " + teacherChannels.length + " and "
                    + studentChannels.length + " maps, but " + pairs.size() + " pairs");
        }
        this.pairs = List.copyOf(pairs);
        this.epsilon = epsilon;
        for (int i = 0; i < pairs.size(); i++) {
            if (teacherChannels[i] != studentChannels[i]) {
                registerModule(Integer.toString(i), new Conv2d(manager, studentChannels[i], teacherChannels[i], 1, 1,
                        0, 1, true));
            }
        }
    }

    public List<FeaturePair> pairs() {
        return pairs;
    }

    /** The loss over all pairs, given both models' feature lists. */
    public NDArray compute(List<NDArray> teacher, List<NDArray> student) {
        NDArray total = null;
        for (int i = 0; i < pairs.size(); i++) {
            FeaturePair p = pairs.get(i);
            NDArray term = pairLoss(i, feature(teacher, p.teacher(), "teacher", p), feature(student, p.student(),
                    "student", p));
            total = total == null ? term : total.add(term);
        }
        return total;
    }

    private NDArray pairLoss(int i, NDArray t, NDArray s) {
        long h = s.getShape().get(2);
        long w = s.getShape().get(3);
        if (t.getShape().get(0) != s.getShape().get(0)) {
            throw new IllegalArgumentException("pair " + pairs.get(i) + ": teacher batch " + t.getShape()
                    + " vs student batch " + s.getShape());
        }
        NDArray projected = hasChild(Integer.toString(i)) ? call(Integer.toString(i), s) : s;
        if (projected.getShape().get(1) != t.getShape().get(1)) {
            throw new IllegalArgumentException("pair " + pairs.get(i) + ": teacher map has " + t.getShape().get(1)
                    + " channels, student map " + s.getShape().get(1) + " (the projection was built for others)");
        }
        NDArray diff = standardise(Resize.bilinear(t, h, w, true), epsilon).sub(standardise(projected, epsilon));
        return Scalars.div(diff.square().sum().sqrt(), (float) (h * w));
    }

    /** Each channel of each sample shifted to mean 0 and divided by its (unbiased) standard deviation plus eps. */
    public static NDArray standardise(NDArray f, float epsilon) {
        Shape s = f.getShape();
        long pixels = s.get(2) * s.get(3);
        Shape keep = new Shape(s.get(0), s.get(1), 1, 1);
        NDArray centred = f.sub(Reductions.mean(f, 2, 3).reshape(keep));
        NDArray variance = Scalars.div(Reductions.sum(centred.square(), 2, 3), (float) (pixels - 1));
        return centred.div(Scalars.add(variance.sqrt(), epsilon).reshape(keep));
    }

    private static NDArray feature(List<NDArray> maps, int index, String who, FeaturePair p) {
        if (index >= maps.size()) {
            throw new IllegalArgumentException("feature pair " + p + ": the " + who + " has only " + maps.size()
                    + " feature maps (indices 0-" + (maps.size() - 1) + ")");
        }
        NDArray f = maps.get(index);
        if (f.getShape().dimension() != 4) {
            throw new IllegalArgumentException("feature pair " + p + ": the " + who + "'s map " + index
                    + " is not [N, C, H, W] but " + f.getShape());
        }
        return f;
    }
}
