package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Copies that own their memory, in the manager of the tensor they replace (for parameters and buffers). */
final class OwnedCopy {
    private OwnedCopy() {}

    /**
     * A copy of {@code values} with the type and manager of {@code current}. The engine's same-type conversion
     * aliases its source, whose buffer may be freed with it, so same-type values are duplicated instead.
     */
    static NDArray replacing(NDArray current, NDArray values, String what) {
        if (!values.getShape().equals(current.getShape())) {
            throw new IllegalArgumentException("shape " + values.getShape() + " does not fit " + what
                    + " of shape " + current.getShape());
        }
        NDArray next = values.getDataType() == current.getDataType() ? values.duplicate()
                : values.toType(current.getDataType(), true);
        next.attach(current.getManager());
        return next;
    }

    /** A copy of {@code current} converted to {@code type}, in its manager. */
    static NDArray converted(NDArray current, DataType type) {
        NDArray next = current.toType(type, true);
        next.attach(current.getManager());
        return next;
    }
}
