package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;

/**
 * Layer normalisation over the channels of NCHW maps, each pixel on its own, with the biased variance: SAM's
 * {@code LayerNorm2d} (its neck, mask downscaling and mask upscaling), whose eps is 1e-6.
 */
public class LayerNorm2d extends Module implements Layer {
    private final int channels;
    private final float eps;

    public LayerNorm2d(NDManager manager, int channels) {
        this(manager, channels, 1e-6f);
    }

    public LayerNorm2d(NDManager manager, int channels, float eps) {
        this.channels = channels;
        this.eps = eps;
        registerParameter("weight", manager.ones(new Shape(channels)));
        registerParameter("bias", manager.zeros(new Shape(channels)));
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
            throw new IllegalArgumentException("LayerNorm2d(" + channels + ") expects [N, " + channels
                    + ", H, W], got " + s);
        }
        NDArray centred = x.sub(x.mean(new int[] {1}, true));
        NDArray var = centred.square().mean(new int[] {1}, true);
        NDArray y = centred.div(var.add(eps).sqrt());
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
        return "LayerNorm2d(" + channels + ")";
    }
}
