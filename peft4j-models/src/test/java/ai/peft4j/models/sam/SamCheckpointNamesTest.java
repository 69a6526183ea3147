package ai.peft4j.models.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.tinyvit.TinyVitConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint names against {@code fixtures/sam/key_naming.json}: HF transformers' rename rules, a strict load of
 * HF-named weights, and which segment-anything tensors Medical-SAM-Adapter's naming leaves behind.
 */
class SamCheckpointNamesTest {

    @Test
    void huggingFaceRules_equalConvertSamToHfInTheFixture() throws Exception {
        JsonNode rules = keyNaming().path("hf_transformers_convert_sam_to_hf").path("keys_to_modify_mapping");
        List<List<String>> expected = new ArrayList<>();
        rules.forEach(r -> expected.add(List.of(r.get(0).asText(), r.get(1).asText())));
        List<List<String>> actual = new ArrayList<>();
        SamCheckpointNames.HUGGING_FACE_RULES.forEach(e -> actual.add(List.of(e.getKey(), e.getValue())));
        assertEquals(expected, actual);
    }

    @Test
    void original_loadsHuggingFaceNamedWeightsStrictlyAndExactly() throws Exception {
        JsonNode hf = keyNaming().path("hf_transformers_convert_sam_to_hf");
        SamConfig config = SamConfig.fixture().withVariant(SamVariant.ORIGINAL);
        try (NDManager manager = EngineSetup.newManager()) {
            Sam source = new Sam(manager, config);
            ClosedFormWeights.fill(source);
            // The checkpoint as convert_sam_to_hf.py writes it, renamed here from the fixture's copy of its rules.
            Map<String, NDArray> checkpoint = new LinkedHashMap<>();
            source.stateDict().forEach((k, v) -> checkpoint.put(convertScriptName(k, hf), v));
            checkpoint.put("shared_image_embedding.positional_embedding",
                    checkpoint.get("prompt_encoder.shared_embedding.positional_embedding"));
            assertTrue(checkpoint.containsKey("vision_encoder.layers.0.attn.rel_pos_h"), checkpoint.keySet()
                    .toString());
            assertTrue(checkpoint.containsKey("mask_decoder.output_hypernetworks_mlps.2.proj_out.weight"));

            Sam target = new Sam(manager, config);
            LoadReport report = SamCheckpointNames.load(target, checkpoint, true);
            assertEquals(source.stateDict().size(), report.loaded().size());
            Map<String, NDArray> loaded = target.stateDict();
            source.stateDict().forEach((k, v) -> assertEquals(v, loaded.get(k), k));
        }
    }

    @Test
    void msa_loadingSegmentAnythingVitB_leavesThe32RenamedTensorsAsPublished() throws Exception {
        JsonNode naming = keyNaming();
        Map<String, Shape> original = keysAndShapes(SamConfig.vitB(1024, SamVariant.ORIGINAL));
        Map<String, Shape> msa = keysAndShapes(SamConfig.vitB(1024, SamVariant.MSA));
        assertEquals(naming.path("original_vit_b_num_keys").asInt(), original.size());
        assertEquals(firstKeys(naming.path("original_vit_b_first_40_keys")), first(original, 40));
        assertEquals(firstKeys(naming.path("msa_vit_b_first_40_keys_none")), first(msa, 40));

        JsonNode load = naming.path("load_1024_none");
        List<String> notInModel = new ArrayList<>(original.keySet());
        notInModel.removeAll(msa.keySet());
        List<String> notInCheckpoint = new ArrayList<>(msa.keySet());
        notInCheckpoint.removeAll(original.keySet());
        assertEquals(texts(load.path("checkpoint_keys_not_in_model")), notInModel);
        assertEquals(texts(load.path("model_keys_not_in_checkpoint")), notInCheckpoint);
        assertEquals(load.path("loaded").asInt(), original.size() - notInModel.size());
    }

    @Test
    void msa_withMedicalSamAdapterNames_loadsEverySegmentAnythingTensor() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Sam original = new Sam(manager, SamConfig.fixture().withVariant(SamVariant.ORIGINAL));
            ClosedFormWeights.fill(original);
            Sam msa = new Sam(manager, SamConfig.fixture());
            // As published, the renamed tensors stay missing: 2 blocks x 2 tables, 2 layers x 2 Linears x 2.
            LoadReport published = SamCheckpointNames.load(msa, original.stateDict(), false);
            assertEquals(12, published.missing().size(), published.missing().toString());
            assertTrue(published.missing().contains("image_encoder.blocks.1.attn.rel_w"));
            assertTrue(published.missing().contains("mask_decoder.transformer.layers.0.mlp.layers.0.0.weight"));

            LoadReport renamed = SamCheckpointNames.load(msa,
                    SamCheckpointNames.withMedicalSamAdapterNames(original.stateDict()), true);
            assertEquals(msa.stateDict().size(), renamed.loaded().size());
            assertEquals(original.stateDict().get("mask_decoder.transformer.layers.1.mlp.lin2.weight"),
                    msa.stateDict().get("mask_decoder.transformer.layers.1.mlp.fc.weight"));
            assertEquals(original.stateDict().get("image_encoder.blocks.0.attn.rel_pos_h"),
                    msa.stateDict().get("image_encoder.blocks.0.attn.rel_h"));
        }
    }

    @Test
    void mobileSam_keysAreThoseOfTheOriginalMobileSamCheckpoint() throws Exception {
        JsonNode naming = keyNaming();
        Map<String, Shape> keys = new LinkedHashMap<>();
        try (NDManager manager = EngineSetup.newManager()) {
            Sam.mobileSam(manager, TinyVitConfig.mobileSam(1024), SamConfig.Decoder.published()).stateDict()
                    .forEach((k, v) -> keys.put(k, v.getShape()));
        }
        assertEquals(naming.path("original_mobilesam_num_keys").asInt(), keys.size());
        assertEquals(firstKeys(naming.path("original_mobilesam_first_40_keys")), first(keys, 40));
        JsonNode load = naming.path("mobilesam_load_1024_none");
        assertEquals(load.path("loaded").asInt(), keys.size());
        assertEquals(0, load.path("model_keys_not_in_checkpoint").size());
    }

    /** convert_sam_to_hf.py's renaming as the fixture describes it, independent of the class under test. */
    private static String convertScriptName(String key, JsonNode hf) {
        String k = key;
        for (JsonNode rule : hf.path("keys_to_modify_mapping")) {
            if (k.contains(rule.get(0).asText())) {
                k = k.replace(rule.get(0).asText(), rule.get(1).asText());
            }
        }
        Matcher m = Pattern.compile(".*.output_hypernetworks_mlps.(\\d+).layers.(\\d+).*").matcher(k);
        if (m.matches()) {
            String[] to = {"proj_in", "layers.0", "proj_out"};
            int layer = Integer.parseInt(m.group(2));
            k = k.replace("layers." + layer, to[layer]);
        }
        return k;
    }

    private static Map<String, Shape> keysAndShapes(SamConfig config) {
        Map<String, Shape> out = new LinkedHashMap<>();
        try (NDManager manager = EngineSetup.newManager()) {
            new Sam(manager, config).stateDict().forEach((k, v) -> out.put(k, v.getShape()));
        }
        return out;
    }

    private static List<Map.Entry<String, Shape>> first(Map<String, Shape> keys, int n) {
        return keys.entrySet().stream().limit(n).map(e -> Map.entry(e.getKey(), e.getValue())).toList();
    }

    private static List<Map.Entry<String, Shape>> firstKeys(JsonNode entries) {
        List<Map.Entry<String, Shape>> out = new ArrayList<>();
        for (JsonNode e : entries) {
            long[] dims = new long[e.get(1).size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = e.get(1).get(i).asLong();
            }
            out.add(Map.entry(e.get(0).asText(), new Shape(dims)));
        }
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode keyNaming() throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require("fixtures/sam/key_naming.json").toFile());
    }
}
