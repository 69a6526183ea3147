package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/** Zeroes elements with probability {@code rate} in training mode and rescales the rest; identity in eval. */
public class Dropout extends Module implements Layer {
    private final float rate;

    public Dropout(float rate) {
        if (rate < 0 || rate >= 1) {
            throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
        }
        this.rate = rate;
    }

    public float rate() {
        return rate;
    }

    @Override
    public NDArray forward(NDArray x) {
        if (!isTraining() || rate == 0f) {
            return x;
        }
        return ai.djl.nn.norm.Dropout.dropout(x, rate, true).singletonOrThrow();
    }
}
