package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * A tensor a module keeps but does not train (BatchNorm running statistics, index tables). Persistent buffers are
 * part of the state dict, as {@code register_buffer(..., persistent=True)} makes them in PyTorch.
 */
public final class Buffer {
    private NDArray data;
    private final boolean persistent;

    public Buffer(NDArray data, boolean persistent) {
        this.data = data;
        this.persistent = persistent;
    }

    public NDArray data() {
        return data;
    }

    public boolean isPersistent() {
        return persistent;
    }

    /** Replaces the values, keeping the manager and data type; the old tensor is closed. */
    public void replace(NDArray values) {
        NDArray next = OwnedCopy.replacing(data, values, "buffer");
        NDArray old = data;
        data = next;
        old.close();
    }

    /** Replaces the values with a copy of another floating-point type. */
    void convert(ai.djl.ndarray.types.DataType type) {
        NDArray old = data;
        data = OwnedCopy.converted(old, type);
        old.close();
    }
}
