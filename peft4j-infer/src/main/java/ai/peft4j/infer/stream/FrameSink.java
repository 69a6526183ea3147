package ai.peft4j.infer.stream;

import ai.peft4j.infer.video.Frame;
import java.io.IOException;

/**
 * The last step: receives each frame's result in frame order (statistics, overlays, writers). The pipeline closes
 * it once, after the last frame, also when the stream was stopped or failed, so what was written is kept.
 *
 * @param <T> the result of inference
 */
public interface FrameSink<T> extends AutoCloseable {
    void accept(Frame frame, T result) throws Exception;

    @Override
    default void close() throws IOException {}
}
