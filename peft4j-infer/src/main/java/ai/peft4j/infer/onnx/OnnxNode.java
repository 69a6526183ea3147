package ai.peft4j.infer.onnx;

import java.util.List;
import java.util.Map;

/**
 * One operator of a graph. Attribute values are {@link Long} (or Integer), {@link Float}, {@link String},
 * {@code long[]} or {@code float[]}, which map onto ONNX's INT, FLOAT, STRING, INTS and FLOATS.
 */
public record OnnxNode(String opType, String name, List<String> inputs, List<String> outputs,
        Map<String, Object> attributes) {
    public OnnxNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = Map.copyOf(attributes);
    }

    public String output() {
        return outputs.get(0);
    }

    public OnnxNode withInputs(List<String> newInputs) {
        return new OnnxNode(opType, name, newInputs, outputs, attributes);
    }

    public OnnxNode withOutputs(List<String> newOutputs) {
        return new OnnxNode(opType, name, inputs, newOutputs, attributes);
    }
}
