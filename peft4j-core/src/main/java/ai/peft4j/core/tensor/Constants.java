package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Constant tensors made from Java arrays that stay valid under autograd. DJL's PyTorch engine makes
 * {@code manager.create(float[], shape)} a tensor over a Java direct buffer (libtorch's {@code from_blob}), and a
 * conversion to the same type aliases it. When such a constant meets a tensor that carries gradients in a product,
 * autograd keeps it for the backward pass; if its Java handle is closed first (as {@code StepMemory} does when a
 * module returns) the buffer can be collected and the backward pass reads freed memory: gradients come out as
 * values like 1e29 now and then. The tensors made here own their memory in libtorch (a copy), so closing the handle
 * only drops a reference. Use them for every constant that enters a differentiable product: sampling matrices,
 * one-hot gathers, masks multiplied into activations.
 */
public final class Constants {
    private Constants() {}

    /** {@code values} as a tensor of {@code shape} and {@code type} in {@code manager}, owned by libtorch. */
    public static NDArray of(NDManager manager, float[] values, Shape shape, DataType type) {
        try (NDArray blob = manager.create(values, shape)) {
            // A copying conversion (or a clone) allocates the result's storage in libtorch.
            return type == DataType.FLOAT32 ? blob.duplicate() : blob.toType(type, true);
        }
    }

    /** {@code values} as a tensor of {@code shape} in the manager and of the type of {@code like}. */
    public static NDArray like(NDArray like, float[] values, Shape shape) {
        return of(like.getManager(), values, shape, like.getDataType());
    }
}
