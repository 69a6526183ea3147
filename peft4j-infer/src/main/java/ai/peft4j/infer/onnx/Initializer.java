package ai.peft4j.infer.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A constant tensor of the graph (weights, shapes, scales), held as the little-endian bytes ONNX stores in
 * {@code raw_data}.
 */
public record Initializer(String name, ElementType type, long[] dims, byte[] raw) {
    public Initializer {
        long n = count(dims);
        if (n * type.bytes() != raw.length) {
            throw new IllegalArgumentException("initializer " + name + ": " + raw.length + " bytes do not hold "
                    + Arrays.toString(dims) + " of " + type);
        }
    }

    public static Initializer ofFloats(String name, float[] values, long... dims) {
        ByteBuffer b = buffer(values.length * 4);
        b.asFloatBuffer().put(values);
        return new Initializer(name, ElementType.FLOAT, dims.clone(), b.array());
    }

    public static Initializer ofLongs(String name, long[] values, long... dims) {
        ByteBuffer b = buffer(values.length * 8);
        b.asLongBuffer().put(values);
        return new Initializer(name, ElementType.INT64, dims.clone(), b.array());
    }

    public static Initializer ofInts(String name, int[] values, long... dims) {
        ByteBuffer b = buffer(values.length * 4);
        b.asIntBuffer().put(values);
        return new Initializer(name, ElementType.INT32, dims.clone(), b.array());
    }

    public static Initializer ofBytes(String name, ElementType type, byte[] values, long... dims) {
        return new Initializer(name, type, dims.clone(), values.clone());
    }

    /** The values of a FLOAT initializer. */
    public float[] floats() {
        if (type != ElementType.FLOAT) {
            throw new IllegalStateException("initializer " + name + " is " + type + ", not FLOAT");
        }
        float[] out = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** The values of an INT64 initializer. */
    public long[] longs() {
        if (type != ElementType.INT64) {
            throw new IllegalStateException("initializer " + name + " is " + type + ", not INT64");
        }
        long[] out = new long[raw.length / 8];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    public long size() {
        return count(dims);
    }

    static long count(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
