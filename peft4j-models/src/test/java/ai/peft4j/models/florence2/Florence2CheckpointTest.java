package ai.peft4j.models.florence2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint folders: the fixture's {@code config.json} reads as the tiny preset, a {@code model.safetensors}
 * holding the tied table under one name only loads and gives the published logits, and wrong folders are named.
 */
class Florence2CheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void fixtureConfigJson_readsAsTinyPreset() throws Exception {
        Path file = tmp.resolve("config.json");
        new ObjectMapper().writeValue(file.toFile(), Florence2Fixtures.description().path("config"));
        assertEquals(Florence2Config.fixtureTiny(), Florence2Config.read(file));
    }

    @Test
    void checkpointWithOnlySharedTable_loadsAndGivesPublishedLogits() throws Exception {
        Path dir = writeCheckpoint();
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> ref = Florence2Fixtures.tensors(m);
            Florence2 model = Florence2Checkpoint.load(dir, m);
            NDArray shared = model.stateDict().get("language_model.model.shared.weight");
            for (String name : Florence2Checkpoint.TIED) {
                assertTrue(shared == model.stateDict().get(name), name + " is not the shared table");
            }
            Florence2Output out = model.forward(ref.get("pixel_values"), ref.get("input_ids"),
                    ref.get("decoder_input_ids"));
            Florence2Fixtures.check(ref.get("base/logits"), out.logits(), "checkpoint base/logits");
        }
    }

    @Test
    void missingWeights_nameFolderAndWhatToDo() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(),
                Florence2Fixtures.description().path("config"));
        Files.writeString(dir.resolve("pytorch_model.bin"), "not read");
        try (NDManager m = EngineSetup.newManager()) {
            IOException e = assertThrows(IOException.class, () -> Florence2Checkpoint.load(dir, m));
            assertEquals(dir + ": no model.safetensors in the Florence-2 checkpoint folder (pytorch_model.bin is"
                    + " not read yet: convert it to safetensors)", e.getMessage());
        }
    }

    @Test
    void unsupportedSetting_isRefusedWithItsKey() throws Exception {
        ObjectNode config = (ObjectNode) Florence2Fixtures.description().path("config").deepCopy();
        ((ObjectNode) config.get("text_config")).put("activation_function", "relu");
        Path file = tmp.resolve("config.json");
        new ObjectMapper().writeValue(file.toFile(), config);
        IOException e = assertThrows(IOException.class, () -> Florence2Config.read(file));
        assertEquals(file + ": text_config.activation_function is relu; only gelu is supported (the published"
                + " Florence-2 setting)", e.getMessage());
    }

    /** The tiny model's closed-form weights saved without the three aliases of the shared table. */
    private Path writeCheckpoint() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("florence2-tiny"));
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(),
                Florence2Fixtures.description().path("config"));
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> state = new LinkedHashMap<>(Florence2Fixtures.tinyModel(m, 51289).stateDict());
            for (String alias : List.of("language_model.model.encoder.embed_tokens.weight",
                    "language_model.model.decoder.embed_tokens.weight", "language_model.lm_head.weight")) {
                state.remove(alias);
            }
            SafetensorsFile.write(dir.resolve("model.safetensors"), state, Map.of("format", "pt"));
        }
        return dir;
    }
}
