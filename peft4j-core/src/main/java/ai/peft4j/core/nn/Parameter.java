package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A trainable tensor of a module. The object stays the same when its values are replaced (loading a checkpoint),
 * so optimiser state keyed by parameter survives a load.
 */
public final class Parameter {
    private NDArray data;
    private boolean trainable = true;

    public Parameter(NDArray data) {
        this.data = data;
    }

    public NDArray data() {
        return data;
    }

    public Shape shape() {
        return data.getShape();
    }

    public long size() {
        return data.size();
    }

    public boolean isTrainable() {
        return trainable;
    }

    /** Marks the parameter trainable or frozen; a frozen one gets no gradient and is not optimised. */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        if (!trainable && data.hasGradient()) {
            data.setRequiresGradient(false);
        }
    }

    /** Asks the engine to record gradients for this tensor when it is trainable (before a training step). */
    public void attachGradient() {
        if (trainable && !data.hasGradient()) {
            data.setRequiresGradient(true);
        }
    }

    /** The gradient of the last backward pass, or null when none was recorded. */
    public NDArray gradient() {
        return data.hasGradient() ? data.getGradient() : null;
    }

    /** Replaces the values, keeping the manager and the gradient flag; the old tensor is closed. */
    public void replace(NDArray values) {
        NDArray next = OwnedCopy.replacing(data, values, "parameter");
        boolean grad = data.hasGradient();
        NDArray old = data;
        data = next;
        old.close();
        if (grad) {
            data.setRequiresGradient(true);
        }
    }

    /** Replaces the values with a copy of another floating-point type. */
    void convert(ai.djl.ndarray.types.DataType type) {
        NDArray old = data;
        data = OwnedCopy.converted(old, type);
        old.close();
    }
}
