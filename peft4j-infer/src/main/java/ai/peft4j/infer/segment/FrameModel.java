package ai.peft4j.infer.segment;

import ai.peft4j.infer.stats.ClassMap;
import ai.peft4j.infer.stream.Stage;
import ai.peft4j.infer.video.Frame;
import java.io.IOException;

/**
 * A segmentation model seen from a stream: a prepared input in, a class map at the frame's size out. The training
 * engine's modules ({@link ModuleFrameModel}) are one kind; an ONNX Runtime session can be another. Called from
 * one thread at a time unless {@link #concurrent} says it may be called from several.
 */
public interface FrameModel extends Stage<ModelInput, ClassMap>, AutoCloseable {
    ClassMap predict(ModelInput input) throws Exception;

    @Override
    default ClassMap apply(Frame frame, ModelInput input) throws Exception {
        return predict(input);
    }

    /** Whether several threads may call {@link #predict} at once (several inference workers on a stream). */
    default boolean concurrent() {
        return false;
    }

    /** Frees the model's resources (native memory, a runtime session). */
    @Override
    default void close() throws IOException {}
}
