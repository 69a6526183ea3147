package ai.peft4j.infer.video;

import ai.peft4j.data.DataException;
import java.nio.file.Path;

/**
 * A video or image sequence that cannot be read or written: names the file, and the frame where one is at fault.
 * A {@link DataException}, so the CLI prints its message without a stack trace.
 */
public class VideoException extends DataException {
    private static final long serialVersionUID = 1L;

    private final long frameIndex;

    public VideoException(Path file, String problem) {
        this(file, -1, problem, null);
    }

    public VideoException(Path file, String problem, Throwable cause) {
        this(file, -1, problem, cause);
    }

    public VideoException(Path file, long frameIndex, String problem, Throwable cause) {
        super(file, frameIndex < 0 ? problem : "frame " + frameIndex + ": " + problem, cause);
        this.frameIndex = frameIndex;
    }

    /** The frame (from 0) at fault, or -1 when the whole file is. */
    public long frameIndex() {
        return frameIndex;
    }
}
