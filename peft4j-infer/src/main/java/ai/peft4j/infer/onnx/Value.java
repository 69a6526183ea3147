package ai.peft4j.infer.onnx;

import java.util.Arrays;

/**
 * A tensor of the graph being built, with its static shape; the batch axis is {@code -1} when the exported batch
 * size is left open. Emitters compute output shapes so that a size a model cannot take fails at export time.
 */
public record Value(String name, long[] shape) {
    public Value {
        shape = shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
