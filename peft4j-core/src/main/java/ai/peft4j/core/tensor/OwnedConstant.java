package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Constant arrays made from Java values inside a forward pass (sampling weights, one-hot selections) whose memory
 * belongs to the engine. An array the engine makes from a Java buffer aliases that buffer; autograd keeps it for
 * backward (the other factor of a product), but once the array's manager closes (a child's manager under
 * {@code StepMemory}'s freed intermediates) the buffer can be collected and reused, and backward then reads junk.
 */
public final class OwnedConstant {
    private OwnedConstant() {}

    /** {@code values} as an array of {@code shape} and {@code type} in {@code manager}, not aliasing them. */
    public static NDArray of(NDManager manager, float[] values, Shape shape, DataType type) {
        NDArray alias = manager.create(values, shape);
        NDArray owned = alias.getDataType() == type ? alias.duplicate() : alias.toType(type, true);
        alias.close();
        return owned;
    }
}
