package ai.peft4j.infer.onnx;

import ai.peft4j.infer.segment.FrameModel;
import ai.peft4j.infer.segment.LogitsToClasses;
import ai.peft4j.infer.segment.ModelInput;
import ai.peft4j.infer.stats.ClassMap;

/** An ONNX Runtime session seen from a stream: a prepared frame in, a class map at the frame's size out. */
public final class OnnxFrameModel implements FrameModel {
    private final OnnxPredictor predictor;

    /** Takes ownership of {@code predictor}: closing this closes it. */
    public OnnxFrameModel(OnnxPredictor predictor) {
        this.predictor = predictor;
    }

    /** The classes the graph gives, read off one run on a blank {@code side x side} image. */
    public int classes(int side) {
        return (int) predictor.predict(new float[3 * side * side], 1, side, side).shape()[1];
    }

    /** The logits alone: the inference stage when postprocessing runs on another thread. */
    public OnnxPredictor.Logits logits(ModelInput input) {
        return predictor.predict(input.pixels(), 1, input.height(), input.width());
    }

    @Override
    public ClassMap predict(ModelInput input) {
        OnnxPredictor.Logits l = logits(input);
        return LogitsToClasses.classes(l.data(), (int) l.shape()[1], (int) l.shape()[2], (int) l.shape()[3], input);
    }

    /** An ONNX Runtime session runs calls from several threads at once. */
    @Override
    public boolean concurrent() {
        return true;
    }

    @Override
    public void close() {
        predictor.close();
    }
}
