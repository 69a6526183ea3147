package ai.peft4j.infer.video;

import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Frames of a motion-JPEG byte stream: whole JPEG images one after another, as {@code ffmpeg -f mjpeg} writes them
 * and as USB and industrial cameras send them. This is how a live camera reaches peft4j without native code:
 * {@code ffmpeg -f v4l2 -i /dev/video0 -f mjpeg - | peft4j stream --mjpeg - ...}. Frames are split by walking the
 * JPEG marker segments, so a JPEG thumbnail inside an application segment does not end a frame, and are read as
 * they arrive: the source may be a file, a named pipe or standard input, and its length is not known in advance.
 * Frames without Huffman tables, as USB cameras send them, decode with the standard tables.
 */
public final class MjpegSource implements FrameSource {
    /** A frame larger than this is taken for a stream that is not motion JPEG. */
    static final int MAX_FRAME_BYTES = 64 << 20;

    private static final int SOI = 0xD8;
    private static final int EOI = 0xD9;
    private static final int SOS = 0xDA;

    private final InputStream in;
    private final Path name;
    private final double fps;
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private long index;
    private boolean ended;

    private MjpegSource(InputStream in, Path name, double fps) {
        if (!(fps > 0)) {
            throw new IllegalArgumentException("fps must be positive, got " + fps);
        }
        this.in = in;
        this.name = name;
        this.fps = fps;
    }

    /**
     * Opens a file or named pipe, or standard input for {@code -}; {@code fps} is the rate written into overlay
     * videos (a stream carries none).
     */
    public static MjpegSource open(Path file, double fps) throws IOException {
        if (file.toString().equals("-")) {
            return of(System.in, Path.of("stdin"), fps);
        }
        try {
            return of(Files.newInputStream(file), file, fps);
        } catch (NoSuchFileException e) {
            throw new VideoException(file, "file not found");
        }
    }

    /** Reads frames from {@code in}; {@code name} is what errors call it. */
    public static MjpegSource of(InputStream in, Path name, double fps) {
        return new MjpegSource(in, name, fps);
    }

    @Override
    public Frame next() throws IOException {
        byte[] jpeg = readFrame();
        if (jpeg == null) {
            return null;
        }
        RgbImage image;
        try {
            image = ImageDecoder.readRgb(jpeg, name);
        } catch (DataException e) {
            throw new VideoException(name, index, e.problem(), e);
        }
        Frame frame = new Frame(index, Frame.videoName(index), index / fps, image);
        index++;
        return frame;
    }

    /** The next frame's bytes, from its start-of-image marker to its end-of-image marker; null at a clean end. */
    private byte[] readFrame() throws IOException {
        if (ended) {
            return null;
        }
        int first = read();
        if (first < 0) {
            ended = true;
            return null;
        }
        int second = read();
        if (first != 0xFF || second != SOI) {
            throw new VideoException(name, index, "not a motion-JPEG stream: a frame should start with FF D8, got "
                    + hex(first) + " " + hex(second) + " (give a video file with --video)", null);
        }
        ByteArrayOutputStream frame = new ByteArrayOutputStream(1 << 16);
        frame.write(0xFF);
        frame.write(SOI);
        int marker = nextMarker(frame);
        while (marker != EOI) {
            frame.write(0xFF);
            frame.write(marker);
            if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) {
                marker = nextMarker(frame);
                continue;
            }
            int high = read();
            int low = read();
            if (low < 0) {
                throw truncatedOr(frame, null);
            }
            int length = high << 8 | low;
            if (length < 2) {
                throw truncatedOr(frame, "a segment with length " + length);
            }
            frame.write(length >> 8);
            frame.write(length & 0xFF);
            copy(frame, length - 2);
            marker = marker == SOS ? scanData(frame) : nextMarker(frame);
        }
        frame.write(0xFF);
        frame.write(EOI);
        return frame.toByteArray();
    }

    /** Reads the code of the marker that must come next: FF, any fill bytes FF, then the code. */
    private int nextMarker(ByteArrayOutputStream frame) throws IOException {
        int b = read();
        if (b != 0xFF) {
            throw truncatedOr(frame, b < 0 ? null : "byte " + hex(b) + " where a marker should start");
        }
        while (b == 0xFF) {
            b = read();
        }
        if (b < 0) {
            throw truncatedOr(frame, null);
        }
        return b;
    }

    /**
     * Copies entropy-coded data up to the next marker and returns its code. Inside the data FF is followed by 00
     * (a stuffed byte) or by a restart marker D0-D7, both part of the data.
     */
    private int scanData(ByteArrayOutputStream frame) throws IOException {
        while (true) {
            if (position == limit && !fill()) {
                throw truncatedOr(frame, null);
            }
            int start = position;
            while (position < limit && buffer[position] != (byte) 0xFF) {
                position++;
            }
            frame.write(buffer, start, position - start);
            checkSize(frame);
            if (position == limit) {
                continue;
            }
            position++;
            int b = read();
            while (b == 0xFF) {
                b = read();
            }
            if (b < 0) {
                throw truncatedOr(frame, null);
            }
            if (b == 0x00 || b >= 0xD0 && b <= 0xD7) {
                frame.write(0xFF);
                frame.write(b);
            } else {
                return b;
            }
        }
    }

    private void copy(ByteArrayOutputStream frame, int count) throws IOException {
        int left = count;
        while (left > 0) {
            if (position == limit && !fill()) {
                throw truncatedOr(frame, null);
            }
            int n = Math.min(left, limit - position);
            frame.write(buffer, position, n);
            position += n;
            left -= n;
        }
        checkSize(frame);
    }

    private void checkSize(ByteArrayOutputStream frame) {
        if (frame.size() > MAX_FRAME_BYTES) {
            throw new VideoException(name, index, "a frame of over " + (MAX_FRAME_BYTES >> 20) + " MB without an "
                    + "end-of-image marker: not a motion-JPEG stream", null);
        }
    }

    private int read() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return buffer[position++] & 0xFF;
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }

    /** The error for a frame that cannot be read on: the stream ended inside it, or {@code problem}. */
    private VideoException truncatedOr(ByteArrayOutputStream frame, String problem) {
        ended = true;
        return new VideoException(name, index, problem != null ? "damaged JPEG frame: " + problem
                : String.format(Locale.ROOT, "the stream ends inside this frame (%d bytes read, no end-of-image "
                        + "marker); the frames before it were read", frame.size()), null);
    }

    private static String hex(int b) {
        return b < 0 ? "end of stream" : HexFormat.of().withUpperCase().toHexDigits((byte) b);
    }

    @Override
    public long frameCount() {
        return -1;
    }

    @Override
    public double fps() {
        return fps;
    }

    @Override
    public String describe() {
        return name + " (motion JPEG, frames as they arrive)";
    }

    @Override
    public void close() throws IOException {
        ended = true;
        in.close();
    }
}
