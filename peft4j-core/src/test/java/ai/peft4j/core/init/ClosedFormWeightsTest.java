package ai.peft4j.core.init;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClosedFormWeightsTest {
    /** The HF PEFT fixture stores its closed-form base weights; ours must be the same numbers for every key. */
    @Test
    void values_equalTheWeightsStoredByThePublishedFixture() throws Exception {
        var file = SharedFiles.require("fixtures/peft/peft_vit.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> all = SafetensorsFile.read(file, m).tensors();
            int checked = 0;
            for (Map.Entry<String, NDArray> e : all.entrySet()) {
                if (!e.getKey().startsWith("base/") || e.getKey().equals("base/output")) {
                    continue;
                }
                String name = e.getKey().substring("base/".length());
                NDArray stored = e.getValue();
                NDArray ours = ClosedFormWeights.tensor(m, name, stored.getShape(), ClosedFormWeights.Role.PARAMETER);
                Tensors.assertClose(stored, ours, 1e-7, name);
                checked++;
            }
            assertTrue(checked > 20, "checked " + checked + " tensors");
        }
    }
}
