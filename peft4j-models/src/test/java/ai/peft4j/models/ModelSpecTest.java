package ai.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.models.fastsegformer.FastSegFormer;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNet;
import org.junit.jupiter.api.Test;

class ModelSpecTest {
    @Test
    void of_withoutBackbone_picksTheModelsOwn() {
        assertEquals("poolformer-s12", ModelSpec.of("fastsegformer-p", null, 4).backbone());
        assertEquals("efficientformerv2-s0", ModelSpec.of("FastSegFormer-E", "", 4).backbone());
        assertEquals("swin-t", ModelSpec.of("fastsegformer-teacher", null, 4).backbone());
        assertEquals("swin-t", ModelSpec.of("swin-att-unet", null, 6).backbone());
        assertEquals("swin-s", ModelSpec.of("swin-att-unet", "swin-s", 6).backbone());
    }

    @Test
    void fastSegFormerModels_buildThePublishedVariants() {
        try (NDManager m = EngineSetup.newManager()) {
            ModelSpec p = ModelSpec.of("fastsegformer-p", null, 4);
            assertTrue(p.build(m) instanceof FastSegFormer f && f.parameterCount() == 14_891_940L);
            assertEquals("FastSegFormer-P (poolformer-s12, multiscale pyramid, reconstruction branch, 4 classes)",
                    p.describe());
            assertEquals(5_013_044L, ModelSpec.of("fastsegformer-e", null, 4).build(m).parameterCount());
            assertTrue(ModelSpec.of("fastsegformer-teacher", null, 4).build(m) instanceof TeacherSwinAttUNet);
        }
    }

    @Test
    void aBackboneAModelIsNotPublishedOn_isRejectedWithTheRightOne() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.of("fastsegformer-p", "swin-t", 4));
        assertTrue(ex.getMessage().contains("poolformer-s12"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> ModelSpec.of("fastsegformer-teacher", "swin-s", 4));
        assertTrue(ex.getMessage().contains("swin-t only"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> ModelSpec.of("segformer", null, 4));
        assertTrue(ex.getMessage().contains("fastsegformer-p"), ex.getMessage());
    }
}
