package ai.peft4j.models.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.testing.SharedFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Full-size SAM presets against {@code fixtures/sam/param_counts_full.json} (Medical-SAM-Adapter's builders). */
class SamConfigTest {

    @Test
    void samVitB1024_parameterTotalAndKeyCountMatchPublished() throws Exception {
        JsonNode counts = counts().path("sam/vit_b/1024/none");
        try (NDManager manager = EngineSetup.newManager()) {
            Sam sam = new Sam(manager, SamConfig.vitB(1024, SamVariant.MSA));
            assertEquals(counts.path("total").asLong(), sam.parameterCount());
            assertEquals(counts.path("state_dict_keys").asInt(), sam.stateDict().size());
            assertEquals(counts.path("requires_grad_image_encoder").asLong(),
                    sam.module("image_encoder").parameterCount());
            assertEquals(counts.path("requires_grad_prompt_encoder").asLong(),
                    sam.module("prompt_encoder").parameterCount());
        }
    }

    @Test
    void samVitB256_globalBlocksShrinkTheirRelativePositionTables() throws Exception {
        // At 256 the global blocks' tables have 2 * 16 - 1 rows instead of 127: 49,152 parameters fewer.
        JsonNode counts = counts().path("sam/vit_b/256/none");
        try (NDManager manager = EngineSetup.newManager()) {
            Sam sam = new Sam(manager, SamConfig.vitB(256, SamVariant.MSA));
            assertEquals(counts.path("total").asLong(), sam.parameterCount());
            assertEquals(31, sam.namedParameters().get("image_encoder.blocks.2.attn.rel_h").shape().get(0));
            assertEquals(27, sam.namedParameters().get("image_encoder.blocks.0.attn.rel_h").shape().get(0));
        }
    }

    @Test
    void preset_unknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SamConfig.preset("sam-vit-x", SamVariant.ORIGINAL));
        assertTrue(e.getMessage().contains("unknown SAM preset 'sam-vit-x'; known: " + SamConfig.PRESETS),
                e.getMessage());
        assertEquals(SamConfig.vitL(1024, SamVariant.ORIGINAL), SamConfig.preset("sam-vit-l", SamVariant.ORIGINAL));
    }

    private static JsonNode counts() throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require("fixtures/sam/param_counts_full.json").toFile())
                .path("counts");
    }
}
