package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;

/**
 * Batch normalisation over the channels of NCHW tensors. Training mode normalises with batch statistics and
 * updates the running ones with PyTorch's momentum 0.1; eval mode uses the running statistics.
 */
public class BatchNorm2d extends Module implements Layer {
    private final int channels;
    private final float eps;
    private float momentum;

    public BatchNorm2d(NDManager manager, int channels) {
        this(manager, channels, 1e-5f, 0.1f);
    }

    public BatchNorm2d(NDManager manager, int channels, float eps, float momentum) {
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        registerParameter("weight", manager.ones(new Shape(channels)));
        registerParameter("bias", manager.zeros(new Shape(channels)));
        registerBuffer("running_mean", manager.zeros(new Shape(channels)), true);
        registerBuffer("running_var", manager.ones(new Shape(channels)), true);
        registerBuffer("num_batches_tracked", manager.zeros(new Shape(), DataType.INT64), true);
    }

    public int channels() {
        return channels;
    }

    public float eps() {
        return eps;
    }

    /** PyTorch's momentum: the weight of a training batch's statistics in the running ones. */
    public float momentum() {
        return momentum;
    }

    /**
     * Sets the momentum; {@code 1 / (k + 1)} for the {@code k}-th batch (from 0) makes the running statistics the
     * plain average of the batches' statistics, as {@link BatchNormRecalibration} does.
     */
    public void setMomentum(float momentum) {
        if (!(momentum > 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm momentum must be in (0, 1], got " + momentum);
        }
        this.momentum = momentum;
    }

    @Override
    public NDArray forward(NDArray x) {
        boolean training = isTraining();
        // DJL passes (1 - momentum) to PyTorch, so hand it the complement of PyTorch's momentum. Axis -1 takes
        // DJL's direct path to torch.batch_norm, which normalises over axis 1 of NCHW input.
        NDArray y = ai.djl.nn.norm.BatchNorm.batchNorm(x, buffer("running_mean").data(),
                buffer("running_var").data(), parameter("weight").data(), parameter("bias").data(), -1,
                1f - momentum, eps, training).singletonOrThrow();
        if (training) {
            buffer("num_batches_tracked").data().addi(1);
        }
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.NORM, 2 * y.size());
        }
        return y;
    }
}
