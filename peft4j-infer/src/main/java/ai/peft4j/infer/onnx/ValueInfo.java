package ai.peft4j.infer.onnx;

/**
 * A graph input or output: name, element type and dimensions, where a negative dimension is the symbolic batch
 * size {@code N}.
 */
public record ValueInfo(String name, ElementType type, long[] dims) {
    public ValueInfo {
        dims = dims == null ? null : dims.clone();
    }
}
