package ai.peft4j.infer.stream;

import ai.peft4j.infer.video.Frame;

/**
 * One step of the pipeline, run on its own thread: preprocessing (image to model input) or inference (model input
 * to class map). The frame is passed along so a step can use its size or name.
 *
 * @param <I> what the step takes
 * @param <O> what it gives the next step
 */
@FunctionalInterface
public interface Stage<I, O> {
    O apply(Frame frame, I input) throws Exception;
}
