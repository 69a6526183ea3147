package ai.peft4j.core.pickle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor of a PyTorch checkpoint as {@code torch._utils._rebuild_tensor_v2} describes it: a view of a storage with
 * an element offset, a shape and strides. Nothing is read until {@link #toNDArray} asks, so an optimiser's state that
 * nobody uses costs nothing; a non-contiguous view (a column, a transposed weight) becomes a contiguous copy then.
 */
public final class TorchTensor {
    /** One Java buffer holds at most this many bytes. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private final TorchStorage storage;
    private final long offset;
    private final long[] shape;
    private final long[] stride;

    TorchTensor(TorchStorage storage, long offset, long[] shape, long[] stride) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape.clone();
        this.stride = stride.clone();
    }

    public TorchDtype dtype() {
        return storage.dtype();
    }

    public Shape shape() {
        return new Shape(shape);
    }

    public long[] stride() {
        return stride.clone();
    }

    /** The offset into the storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    public TorchStorage storage() {
        return storage;
    }

    /** The element count; shapes are checked against overflow when the pickle is read. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * Checks that the shape is sane and that the storage holds every element this view reaches, without reading it.
     * {@code key} names the tensor in the error.
     */
    public void checkBounds(String key) throws IOException {
        String what = storage.source() + ": tensor '" + key + "' of shape " + Arrays.toString(shape) + ", strides "
                + Arrays.toString(stride) + " and offset " + offset;
        if (shape.length != stride.length || offset < 0) {
            throw new IOException(what + " is malformed (the file is damaged)");
        }
        long n = 1;
        long last = offset;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) {
                    throw new IOException(what + " has a negative size or stride (the file is damaged)");
                }
                n = Math.multiplyExact(n, shape[i]);
                if (shape[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                }
            }
            if (Math.multiplyExact(n, (long) dtype().bytes()) > MAX_BYTES) {
                throw new ArithmeticException();
            }
        } catch (ArithmeticException e) {
            throw new IOException(what + " is too large to read (more than " + MAX_BYTES + " bytes in one tensor; "
                    + "the file is damaged or not a checkpoint)");
        }
        if (n == 0) {
            return;
        }
        long have = storage.elements();
        if (last >= have) {
            throw new IOException(what + " reaches element " + last + " of storage '" + storage.key()
                    + "', which holds " + have + " " + dtype() + " elements (the file is truncated or damaged)");
        }
    }

    /** The elements in row-major order, little-endian, as a direct buffer. */
    public ByteBuffer contiguousBytes(String key) throws IOException {
        checkBounds(key);
        int es = dtype().bytes();
        int n = (int) numel();
        if (n == 0) {
            return ByteBuffer.allocateDirect(0);
        }
        ByteBuffer src = storage.bytes();
        if (offset == 0 && isContiguous() && (long) n * es == src.capacity() && !storage.bigEndian()) {
            return src.order(ByteOrder.LITTLE_ENDIAN); // the whole storage as it is: no copy
        }
        ByteBuffer out = ByteBuffer.allocateDirect(n * es).order(ByteOrder.LITTLE_ENDIAN);
        if (isContiguous()) {
            ByteBuffer slice = src.duplicate();
            slice.position((int) (offset * es)).limit((int) ((offset + n) * es));
            out.put(slice);
        } else {
            gather(src, out, es);
        }
        if (storage.bigEndian() && es > 1) {
            swap(out, es);
        }
        out.rewind();
        return out;
    }

    /**
     * A contiguous NDArray of this tensor in {@code manager}, named {@code key}; bfloat16 becomes float32 and int16
     * becomes int32, exactly (see {@link TorchDtype#dataType()}).
     */
    public NDArray toNDArray(NDManager manager, String key) throws IOException {
        ByteBuffer data = widened(contiguousBytes(key));
        NDArray a = numel() == 0 ? manager.create(shape(), dtype().dataType())
                : manager.create(data, shape(), dtype().dataType());
        a.setName(key);
        return a;
    }

    private ByteBuffer widened(ByteBuffer in) {
        if (dtype() != TorchDtype.BFLOAT16 && dtype() != TorchDtype.INT16) {
            return in;
        }
        int n = in.capacity() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            short v = in.getShort(2 * i);
            // bfloat16 is the upper half of a float32; int16 sign-extends.
            out.putInt(4 * i, dtype() == TorchDtype.BFLOAT16 ? (v & 0xffff) << 16 : v);
        }
        return out;
    }

    private boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    private void gather(ByteBuffer src, ByteBuffer out, int es) {
        int dims = shape.length;
        long[] index = new long[dims];
        long pos = offset;
        byte[] element = new byte[es];
        long n = numel();
        for (long k = 0; k < n; k++) {
            src.get((int) (pos * es), element);
            out.put(element);
            // Odometer over the indices, last dimension fastest, keeping the storage position in step.
            for (int d = dims - 1; d >= 0; d--) {
                index[d]++;
                pos += stride[d];
                if (index[d] < shape[d]) {
                    break;
                }
                pos -= stride[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    private static void swap(ByteBuffer b, int es) {
        byte[] e = new byte[es];
        for (int p = 0; p + es <= b.capacity(); p += es) {
            b.get(p, e);
            for (int i = 0; i < es; i++) {
                b.put(p + i, e[es - 1 - i]);
            }
        }
    }

    @Override
    public String toString() {
        return "tensor(" + dtype() + ", " + shape() + ")";
    }
}
