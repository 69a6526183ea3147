package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.detect.DetectionModel;
import ai.peft4j.app.detect.Florence2Starter;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.florence2.Florence2;
import ai.peft4j.models.florence2.Florence2Checkpoint;
import ai.peft4j.models.florence2.Florence2Config;
import ai.peft4j.models.florence2.Florence2Output;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j merge} on the Florence-2 fixture: the tiny model with its closed-form weights as a checkpoint
 * folder, HF PEFT's adapter ({@code fixtures/florence2/peft_lora}: r 4, alpha 8, lm_head among the targets) merged
 * and written as a new folder. The folder, read back by the checkpoint loader, gives PEFT's merged logits and loss;
 * it holds the base's tensor names and nothing of LoRA, the token table once and changed as PEFT's merge changes it,
 * and the base folder's other files byte for byte.
 */
class Florence2MergeCliTest {
    private static final String DIR = "fixtures/florence2/";

    @TempDir
    Path tmp;

    /** The fixture's tiny Florence-2 as a checkpoint folder, with one extra file a real folder would carry. */
    private Path fixtureBase(NDManager m) throws Exception {
        Path base = tmp.resolve("base");
        Files.createDirectories(base);
        Florence2 model = new Florence2(m, Florence2Config.fixtureTiny());
        ClosedFormWeights.fill(model);
        Map<String, NDArray> state = new LinkedHashMap<>(model.stateDict());
        Florence2Checkpoint.TIED.subList(1, Florence2Checkpoint.TIED.size()).forEach(state::remove);
        SafetensorsFile.write(base.resolve("model.safetensors"), state, Map.of("format", "pt"));
        Files.write(base.resolve("config.json"), new ObjectMapper().writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(Florence2Starter.configJson(Florence2Config.fixtureTiny())));
        Files.writeString(base.resolve("generation_config.json"), "{\"num_beams\": 3}\n");
        return base;
    }

    @Test
    void merge_writesAFolderThatGivesPeftsMergedLogits() throws Exception {
        Path adapter = SharedFiles.require(DIR + "peft_lora/adapter_model.safetensors").getParent();
        JsonNode fixture = new ObjectMapper().readTree(SharedFiles.require(DIR + "florence2_tiny.json").toFile());
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SafetensorsFile.read(SharedFiles.require(DIR + "florence2_tiny.safetensors"),
                    m).tensors();
            Path base = fixtureBase(m);
            Path merged = tmp.resolve("merged");
            CliRun run = CliRun.of("merge", "--checkpoint", base.toString(), "--adapter", adapter.toString(),
                    "--out", merged.toString());
            assertEquals(0, run.code(), run.err() + run.out());
            // 47 targets: 16 DaViT feed-forward layers, 30 in the text encoder and decoder, lm_head.
            assertTrue(run.out().contains("hf-lora adapter " + adapter + " into " + base + ": 47 LoRA layers merged"),
                    run.out());

            Map<String, NDArray> baseTensors = SafetensorsFile.read(base.resolve("model.safetensors"), m).tensors();
            Map<String, NDArray> mergedTensors = SafetensorsFile.read(merged.resolve("model.safetensors"), m)
                    .tensors();
            assertEquals(new TreeSet<>(baseTensors.keySet()), new TreeSet<>(mergedTensors.keySet()));
            String shared = Florence2Checkpoint.TIED.get(0);
            assertEquals(fixture.path("lora").path("merge_changed_shared_embedding_max_abs").asDouble(),
                    Tensors.maxAbsDiff(baseTensors.get(shared), mergedTensors.get(shared)), 1e-5);
            // Layers LoRA does not target are copied as they are.
            String norm = "language_model.model.encoder.layernorm_embedding.weight";
            assertEquals(0.0, Tensors.maxAbsDiff(baseTensors.get(norm), mergedTensors.get(norm)));
            assertEquals(Files.readString(base.resolve("config.json")), Files.readString(merged.resolve(
                    "config.json")));
            assertEquals("{\"num_beams\": 3}\n", Files.readString(merged.resolve("generation_config.json")));

            DetectionModel model = DetectionModel.load(merged, m);
            model.eval();
            assertEquals(Florence2Config.fixtureTiny().text().vocabSize(), model.config().text().vocabSize());
            Florence2Output out = model.forward(ref.get("pixel_values"), ref.get("input_ids"),
                    ref.get("decoder_input_ids"));
            Tensors.assertClose(ref.get("lora/merged_logits"), out.logits(), 1e-4, "lora/merged_logits");
            Tensors.assertClose(ref.get("lora/merged_loss").reshape(new Shape()),
                    Florence2.loss(out.logits(), ref.get("labels")), 1e-4, "lora/merged_loss");
            // Every tied name reads the one merged table.
            Map<String, NDArray> loaded = model.stateDict();
            for (String name : Florence2Checkpoint.TIED) {
                assertEquals(0.0, Tensors.maxAbsDiff(mergedTensors.get(shared), loaded.get(name)), name);
            }
        }
    }

    @Test
    void merge_refusesAnOccupiedOutputAndAMissingAdapter() throws Exception {
        Path adapter = SharedFiles.require(DIR + "peft_lora/adapter_model.safetensors").getParent();
        try (NDManager m = EngineSetup.newManager()) {
            Path base = fixtureBase(m);
            CliRun onBase = CliRun.of("merge", "--checkpoint", base.toString(), "--adapter", adapter.toString(),
                    "--out", base.toString());
            assertEquals(2, onBase.code(), onBase.err());
            assertTrue(onBase.err().contains(base + ": already holds a checkpoint"), onBase.err());
            Path none = tmp.resolve("no-adapter");
            CliRun missing = CliRun.of("merge", "--checkpoint", base.toString(), "--adapter", none.toString(),
                    "--out", tmp.resolve("out").toString());
            assertEquals(2, missing.code(), missing.err());
            assertTrue(missing.err().contains(none + ": not an adapter directory"), missing.err());
            assertFalse(missing.err().contains("\tat "), missing.err());
            assertFalse(Files.exists(tmp.resolve("out/model.safetensors")));
        }
    }
}
