package ai.peft4j.core.pickle;

import ai.djl.ndarray.types.DataType;

/** The tensor element types of PyTorch checkpoints, by the storage class that {@code torch.save} names. */
public enum TorchDtype {
    FLOAT32("FloatStorage", 4, DataType.FLOAT32),
    FLOAT16("HalfStorage", 2, DataType.FLOAT16),
    // The PyTorch build under DJL 0.35.1 aborts the JVM on bfloat16 and int16 arrays, so these two are widened
    // (exactly) when they become NDArrays.
    BFLOAT16("BFloat16Storage", 2, DataType.FLOAT32),
    FLOAT64("DoubleStorage", 8, DataType.FLOAT64),
    INT64("LongStorage", 8, DataType.INT64),
    INT32("IntStorage", 4, DataType.INT32),
    INT16("ShortStorage", 2, DataType.INT32),
    INT8("CharStorage", 1, DataType.INT8),
    UINT8("ByteStorage", 1, DataType.UINT8),
    BOOL("BoolStorage", 1, DataType.BOOLEAN);

    private final String storageClass;
    private final int bytes;
    private final DataType dataType;

    TorchDtype(String storageClass, int bytes, DataType dataType) {
        this.storageClass = storageClass;
        this.bytes = bytes;
        this.dataType = dataType;
    }

    /** The class name under {@code torch.}, e.g. {@code FloatStorage}. */
    public String storageClass() {
        return storageClass;
    }

    public int bytes() {
        return bytes;
    }

    /** The type of the NDArray it becomes: its own, or the exact widening for bfloat16 and int16. */
    public DataType dataType() {
        return dataType;
    }

    /** The type of a storage class name such as {@code FloatStorage}, or null. */
    static TorchDtype ofStorageClass(String name) {
        for (TorchDtype t : values()) {
            if (t.storageClass.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
