package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;

/**
 * Group normalisation of NCHW maps, as {@code nn.GroupNorm(groups, channels, eps)}: each sample's channels are
 * split into {@code groups} groups, each normalised over its channels and positions with the biased variance, then
 * scaled and shifted per channel. PoolFormer uses one group (normalisation over C, H and W together).
 */
public class GroupNorm extends Module implements Layer {
    private final int groups;
    private final int channels;
    private final float eps;

    public GroupNorm(NDManager manager, int groups, int channels) {
        this(manager, groups, channels, 1e-5f);
    }

    public GroupNorm(NDManager manager, int groups, int channels, float eps) {
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(channels + " channels do not split into " + groups + " groups");
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = eps;
        registerParameter("weight", manager.ones(new Shape(channels)));
        registerParameter("bias", manager.zeros(new Shape(channels)));
    }

    public int groups() {
        return groups;
    }

    public int channels() {
        return channels;
    }

    public float eps() {
        return eps;
    }

    @Override
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != channels) {
            throw new IllegalArgumentException("GroupNorm(" + groups + ", " + channels + ") expects [N, " + channels
                    + ", H, W], got " + s);
        }
        NDArray g = x.reshape(s.get(0), groups, -1);
        NDArray centred = g.sub(g.mean(new int[] {2}, true));
        NDArray var = centred.square().mean(new int[] {2}, true);
        NDArray y = centred.div(var.add(eps).sqrt()).reshape(s);
        NDArray w = near(parameter("weight").data().reshape(1, channels, 1, 1), x);
        NDArray b = near(parameter("bias").data().reshape(1, channels, 1, 1), x);
        y = y.mul(w).add(b);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.NORM, 2 * y.size());
        }
        return y;
    }

    @Override
    public String toString() {
        return "GroupNorm(" + groups + ", " + channels + ")";
    }
}
