package ai.peft4j.core.pickle;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes of a pickle with a known end: every length the pickle declares is checked against what is left before
 * anything is allocated for it, so a damaged or hostile length fails instead of exhausting memory.
 */
final class PickleInput {
    private final InputStream in;
    private final String source;
    private final long limit;
    private long position;

    /** @param limit the bytes that may be read from {@code in} */
    PickleInput(InputStream in, String source, long limit) {
        this.in = in;
        this.source = source;
        this.limit = limit;
    }

    long position() {
        return position;
    }

    String source() {
        return source;
    }

    int readByte() throws IOException {
        require(1);
        int b = in.read();
        if (b < 0) {
            throw truncated();
        }
        position++;
        return b;
    }

    byte[] readBytes(long n) throws IOException {
        if (n < 0) {
            throw new IOException(source + ": damaged pickle (negative length " + n + " at byte " + position + ")");
        }
        require(n);
        byte[] b = new byte[(int) n];
        int off = 0;
        while (off < b.length) {
            int r = in.read(b, off, b.length - off);
            if (r < 0) {
                throw truncated();
            }
            off += r;
        }
        position += n;
        return b;
    }

    /** A line of a text opcode, without its newline. */
    String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = readByte();
            if (b == '\n') {
                return sb.toString();
            }
            if (sb.length() > 1 << 16) {
                throw new IOException(source + ": damaged pickle (text line over 64 KiB at byte " + position + ")");
            }
            sb.append((char) b);
        }
    }

    long readLittleEndian(int n) throws IOException {
        byte[] b = readBytes(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    private void require(long n) throws IOException {
        if (n > limit - position || n > Integer.MAX_VALUE - 8) {
            throw truncated();
        }
    }

    private IOException truncated() {
        return new EOFException(source + ": the pickle ends early at byte " + position
                + " (the file is truncated or damaged)");
    }
}
