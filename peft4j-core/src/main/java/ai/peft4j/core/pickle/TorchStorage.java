package ai.peft4j.core.pickle;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A storage of a PyTorch checkpoint: a flat run of elements of one type that tensors view with an offset and strides.
 * Its bytes are read from the file when a tensor first needs them, once for all tensors that share it.
 */
public final class TorchStorage {
    /** Where a storage's bytes are: a zip entry or a stretch of a legacy file. */
    interface Data {
        /** The length in bytes, known without reading. */
        long length();

        ByteBuffer read() throws IOException;
    }

    private final String source;
    private final String key;
    private final TorchDtype dtype;
    private final long declaredElements;
    private Data data;
    private boolean bigEndian;
    private ByteBuffer bytes;

    TorchStorage(String source, String key, TorchDtype dtype, long declaredElements) {
        this.source = source;
        this.key = key;
        this.dtype = dtype;
        this.declaredElements = declaredElements;
    }

    void bind(Data d, boolean bigEndianData) {
        this.data = d;
        this.bigEndian = bigEndianData;
    }

    /** The storage's key in the file ({@code data/<key>} in a zip checkpoint). */
    public String key() {
        return key;
    }

    public TorchDtype dtype() {
        return dtype;
    }

    /** The element count the pickle declares; the file's own length is {@link #elements()}. */
    public long declaredElements() {
        return declaredElements;
    }

    /** The elements the file really holds for this storage. */
    public long elements() throws IOException {
        return requireData().length() / dtype.bytes();
    }

    boolean bigEndian() {
        return bigEndian;
    }

    String source() {
        return source;
    }

    /** The storage's bytes, read once. */
    ByteBuffer bytes() throws IOException {
        if (bytes == null) {
            bytes = requireData().read();
        }
        return bytes.duplicate();
    }

    /** Drops the bytes read so far (the file stays readable). */
    void release() {
        bytes = null;
    }

    private Data requireData() throws IOException {
        if (data == null) {
            throw new IOException(source + ": storage '" + key + "' has no data in the file (truncated or damaged)");
        }
        return data;
    }
}
