package ai.peft4j.infer.video;

import java.io.IOException;

/** Frames in order, read one at a time so that a long stream never sits in memory whole. */
public interface FrameSource extends AutoCloseable {
    /** The next frame, or null after the last one. */
    Frame next() throws IOException;

    /** Frames in the source when known in advance (a file, a folder), else -1 (a camera). */
    long frameCount();

    /** Frames per second of the source: the file's rate, or the rate assigned to a folder. */
    double fps();

    /** A short description for logs, e.g. "clip.mp4 (H.264 200x200, 5 frames at 5.0 fps)". */
    String describe();

    @Override
    void close() throws IOException;
}
