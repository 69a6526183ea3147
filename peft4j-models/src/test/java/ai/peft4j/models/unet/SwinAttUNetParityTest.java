package ai.peft4j.models.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The small Swin-Att-UNet against the published PyTorch model, on closed-form weights. */
class SwinAttUNetParityTest {

    @Test
    void base_matchesPublishedOutput() throws Exception {
        Path fixture = SharedFiles.require("fixtures/tplora/tplora_small_1.safetensors");
        try (NDManager manager = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(6));
            model.eval();
            ClosedFormWeights.fill(model);
            SafetensorsFile.Contents ref = SafetensorsFile.read(fixture, manager);
            NDArray input = ref.tensors().get("input");
            assertEquals(new Shape(2, 3, 224, 224), input.getShape());
            NDArray out = model.forward(input);
            Tensors.assertClose(ref.tensors().get("base/output"), out, 1e-4, "base/output");
        }
    }

    @Test
    void base_stateDictKeysAndShapesMatchPublishedModel() throws Exception {
        Path json = SharedFiles.require("fixtures/tplora/tplora_small.json");
        JsonNode base = new ObjectMapper().readTree(json.toFile()).path("base");
        Map<String, Shape> expected = new LinkedHashMap<>();
        for (JsonNode entry : base.path("state_dict")) {
            long[] dims = new long[entry.get(1).size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = entry.get(1).get(i).asLong();
            }
            expected.put(entry.get(0).asText(), new Shape(dims));
        }
        try (NDManager manager = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(6));
            Map<String, Shape> actual = new LinkedHashMap<>();
            model.stateDict().forEach((k, v) -> actual.put(k, v.getShape()));
            assertEquals(expected, actual);
            assertEquals(base.path("total").asLong(), model.parameterCount());
            assertEquals(java.util.List.copyOf(toList(base.path("parameters"))),
                    java.util.List.copyOf(model.namedParameters().keySet()));
        }
    }

    private static java.util.List<String> toList(JsonNode array) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.isArray() ? n.get(0).asText() : n.asText());
        }
        return out;
    }
}
