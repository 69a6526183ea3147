package ai.peft4j.infer.onnx;

/** The tensor element types the exporter writes, with their {@code TensorProto.DataType} codes. */
public enum ElementType {
    FLOAT(1, 4), UINT8(2, 1), INT8(3, 1), INT32(6, 4), INT64(7, 8);

    private final int code;
    private final int bytes;

    ElementType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The {@code onnx.TensorProto.DataType} number. */
    public int code() {
        return code;
    }

    public int bytes() {
        return bytes;
    }
}
