package ai.peft4j.infer.stream;

/** A stage failed on a frame; the message names both. The cause is the stage's own exception. */
public class StreamException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String stage;
    private final long frameIndex;

    public StreamException(String stage, long frameIndex, Throwable cause) {
        super(stage + " failed" + (frameIndex < 0 ? "" : " on frame " + frameIndex) + ": "
                + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
        this.stage = stage;
        this.frameIndex = frameIndex;
    }

    /** The stage that failed: decode, preprocess, inference or sink. */
    public String stage() {
        return stage;
    }

    /** The frame (from 0) it failed on, -1 when on none (closing the sink, say). */
    public long frameIndex() {
        return frameIndex;
    }
}
