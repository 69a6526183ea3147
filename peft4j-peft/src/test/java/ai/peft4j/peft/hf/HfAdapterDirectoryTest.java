package ai.peft4j.peft.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.vit.VitConfig;
import ai.peft4j.peft.FixtureVit;
import ai.peft4j.peft.lora.LoraAdapter;
import ai.peft4j.peft.lora.LoraConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HF PEFT 0.21 adapter directories on timm's ViT: outputs, merged outputs, round trips, wrong bases. */
class HfAdapterDirectoryTest {
    private static final double TOL = 1e-5;

    @Test
    void lora_matchesHfPeftOutput() throws Exception {
        checkAdapter("peft_lora", "lora");
    }

    @Test
    void dora_matchesHfPeftOutput() throws Exception {
        checkAdapter("peft_dora", "dora");
    }

    @Test
    void adapterFilesLoad_recognisesAnHfLoraDirectoryByItsContent() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            ai.peft4j.peft.Attachment a = ai.peft4j.peft.AdapterFiles.load(FixtureVit.adapterDir("peft_dora"),
                    vit.model, manager);
            assertEquals("hf-lora", a.method().name());
            assertEquals(HfAdapterDirectory.readConfig(FixtureVit.adapterDir("peft_dora")), a.method().config());
            Tensors.assertClose(vit.expected("dora/output"), vit.forward(), TOL, "dora/output");
        }
    }

    private static void checkAdapter(String dir, String tag) throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            Map<String, NDArray> before = copies(vit.model.stateDict());
            LoraAdapter adapter = HfAdapterDirectory.load(FixtureVit.adapterDir(dir), vit.model);
            assertEquals(9, adapter.layers().size()); // 4 per block and patch_embed.proj ("proj")
            assertEquals(List.of("head"), adapter.savedModules());
            Tensors.assertClose(vit.expected(tag + "/output"), vit.forward(), TOL, tag + "/output");

            adapter.merge();
            Tensors.assertClose(vit.expected(tag + "/merged_output"), vit.forward(), TOL, tag + "/merged_output");

            adapter.unmerge();
            Tensors.assertClose(vit.expected(tag + "/output"), vit.forward(), TOL, tag + "/output after unmerge");
            adapter.attachment().deactivate();
            assertEquals(before.keySet(), vit.model.stateDict().keySet());
            for (Map.Entry<String, NDArray> e : before.entrySet()) {
                Tensors.assertClose(e.getValue(), vit.model.stateDict().get(e.getKey()), 1e-6, e.getKey());
            }
            Tensors.assertClose(vit.expected("base/output"), vit.forward(), 1e-6, "base/output after deactivate");
        }
    }

    @Test
    void config_readsHfSettings() throws Exception {
        LoraConfig c = HfAdapterDirectory.readConfig(FixtureVit.adapterDir("peft_dora"));
        assertEquals(4, c.r());
        assertEquals(8.0, c.loraAlpha());
        assertEquals(2.0, c.scalingFor("blocks.0.attn.qkv"));
        assertEquals(List.of("fc2", "qkv", "fc1", "proj"), c.targetModules().names());
        assertEquals(List.of("head"), c.modulesToSave());
        assertTrue(c.useDora());
        assertFalse(c.useRslora());
    }

    @Test
    void roundTrip_writeThenRead_sameOutputExactly(@TempDir Path tmp) throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit first = FixtureVit.load(manager);
            LoraAdapter adapter = HfAdapterDirectory.load(FixtureVit.adapterDir("peft_dora"), first.model);
            NDArray expected = first.forward();
            HfAdapterDirectory.save(adapter, tmp);

            FixtureVit second = FixtureVit.load(manager);
            LoraAdapter again = HfAdapterDirectory.load(tmp, second.model);
            assertEquals(adapter.config(), again.config());
            Tensors.assertClose(expected, second.forward(), 0, "output after a round trip");

            // The written files have exactly the keys HF PEFT 0.21 wrote for the same adapter.
            ObjectMapper json = new ObjectMapper();
            JsonNode hf = json.readTree(FixtureVit.adapterDir("peft_dora").resolve("adapter_config.json").toFile());
            JsonNode ours = json.readTree(tmp.resolve("adapter_config.json").toFile());
            List<String> hfKeys = new ArrayList<>();
            hf.fieldNames().forEachRemaining(hfKeys::add);
            hfKeys.remove("peft_version");
            List<String> ourKeys = new ArrayList<>();
            ours.fieldNames().forEachRemaining(ourKeys::add);
            assertEquals(hfKeys, ourKeys);
            for (String k : List.of("r", "lora_alpha", "lora_dropout", "use_dora", "use_rslora", "modules_to_save",
                    "peft_type", "bias", "init_lora_weights", "rank_pattern")) {
                assertEquals(hf.get(k), ours.get(k), k);
            }
            assertEquals(ai.peft4j.core.state.SafetensorsFile.readShapes(FixtureVit.adapterDir("peft_dora")
                    .resolve("adapter_model.safetensors")), ai.peft4j.core.state.SafetensorsFile.readShapes(
                            tmp.resolve("adapter_model.safetensors")));
        }
    }

    @Test
    void config_withRegexTargetsAndPatterns_survivesAWriteAndRead(@TempDir Path tmp) throws Exception {
        LoraConfig c = LoraConfig.of(8, 16, "x").withTargets(ai.peft4j.peft.TargetModules.matching(
                "blocks\\.\\d+\\.attn\\.(qkv|proj)")).withRankPattern(Map.of("qkv", 2))
                .withAlphaPattern(Map.of("blocks\\.1\\.attn\\.proj", 3.5)).withRslora(true)
                .withInit(ai.peft4j.peft.lora.LoraInit.GAUSSIAN).withDropout(0.1);
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            LoraAdapter adapter = new ai.peft4j.peft.lora.Lora(c).apply(vit.model);
            assertEquals(List.of("blocks.0.attn.qkv", "blocks.0.attn.proj", "blocks.1.attn.qkv", "blocks.1.attn.proj"),
                    List.copyOf(adapter.layers().keySet()));
            HfAdapterDirectory.save(adapter, tmp);
        }
        assertEquals(c, HfAdapterDirectory.readConfig(tmp));
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("blocks\\.\\d+\\.attn\\.(qkv|proj)", json.get("target_modules").asText());
        assertEquals("gaussian", json.get("init_lora_weights").asText());
        assertEquals(16, json.get("lora_alpha").asInt());
        assertTrue(json.get("lora_alpha").isInt());
    }

    @Test
    void adapterOfAnotherKind_isRefusedWithTheReason(@TempDir Path tmp) throws Exception {
        java.nio.file.Files.writeString(tmp.resolve("adapter_config.json"),
                "{\"peft_type\": \"ADALORA\", \"r\": 8}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HfAdapterDirectory.readConfig(tmp));
        assertTrue(e.getMessage().contains("holds a ADALORA adapter"), e.getMessage());
        java.nio.file.Files.writeString(tmp.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 8, "
                + "\"target_modules\": [\"qkv\"], \"bias\": \"all\", \"init_lora_weights\": \"pissa\"}");
        e = assertThrows(IllegalArgumentException.class, () -> HfAdapterDirectory.readConfig(tmp));
        assertTrue(e.getMessage().contains("settings peft4j does not implement: bias = \"all\", "
                + "init_lora_weights = \"pissa\""), e.getMessage());
    }

    @Test
    void adapterForAnotherBase_saysWhichTensorsDiffer() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager, VitConfig.fixture(7));
            long trainable = vit.model.trainableParameterCount();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HfAdapterDirectory.load(FixtureVit.adapterDir("peft_lora"), vit.model));
            assertTrue(e.getMessage().contains("made for another base model"), e.getMessage());
            assertTrue(e.getMessage().contains("head.weight is (5, 64) in the file but (7, 64) in this model"),
                    e.getMessage());
            // Nothing of the failed adapter stays behind.
            assertFalse(vit.model.module("blocks.0.attn.qkv").hasChild("lora_A"));
            assertEquals(trainable, vit.model.trainableParameterCount());

            FixtureVit deeper = FixtureVit.load(manager, VitConfig.fixture(5).withDepth(3));
            e = assertThrows(IllegalArgumentException.class,
                    () -> HfAdapterDirectory.load(FixtureVit.adapterDir("peft_lora"), deeper.model));
            assertTrue(e.getMessage().contains("8 tensors the model's adapter needs are not in the file: "
                    + "[base_model.model.blocks.2.attn.qkv.lora_A.weight"), e.getMessage());
        }
    }

    private static Map<String, NDArray> copies(Map<String, NDArray> state) {
        Map<String, NDArray> out = new java.util.LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.duplicate()));
        return out;
    }
}
