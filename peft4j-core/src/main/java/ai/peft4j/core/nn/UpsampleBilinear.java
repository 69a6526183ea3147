package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.tensor.Resize;

/**
 * Bilinear upsampling of NCHW maps by an integer factor, as {@code nn.Upsample(scale_factor=k, mode='bilinear',
 * align_corners=...)}. PyTorch's default is {@code align_corners=False}; see {@link Resize} for what the flag changes.
 */
public class UpsampleBilinear extends Module implements Layer {
    private final int factor;
    private final boolean alignCorners;

    public UpsampleBilinear(int factor, boolean alignCorners) {
        if (factor < 1) {
            throw new IllegalArgumentException("scale factor must be a positive integer, got " + factor);
        }
        this.factor = factor;
        this.alignCorners = alignCorners;
    }

    public int factor() {
        return factor;
    }

    public boolean alignCorners() {
        return alignCorners;
    }

    @Override
    public NDArray forward(NDArray x) {
        return Resize.bilinearScale(x, factor, alignCorners);
    }

    @Override
    public String toString() {
        return "UpsampleBilinear(x" + factor + (alignCorners ? ", align corners" : "") + ")";
    }
}
