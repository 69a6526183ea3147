/**
 * A segmentation model as stream stages: letterbox preprocessing into a model input, and the {@link
 * ai.peft4j.infer.segment.FrameModel} that turns it into a class map at the frame's size (a DJL module here).
 */
package ai.peft4j.infer.segment;
