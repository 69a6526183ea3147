package ai.peft4j.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwinTransformerTest {
    /** Swin-T with its ImageNet head has the 28,288,354 parameters of the published checkpoint. */
    @Test
    void swinT_withImageNetHead_hasPublishedParameterCount() {
        try (NDManager m = EngineSetup.newManager()) {
            assertEquals(28_288_354L, new SwinTransformer(m, SwinConfig.tiny().withNumClasses(1000)).parameterCount());
        }
    }

    @Test
    void featureMaps_haveStageShapes() {
        try (NDManager m = EngineSetup.newManager()) {
            SwinTransformer swin = new SwinTransformer(m, SwinConfig.fixture());
            swin.eval();
            List<NDArray> maps = swin.featureMaps(m.zeros(new Shape(1, 3, 224, 224)), 4);
            assertEquals(new Shape(1, 32, 56, 56), maps.get(0).getShape());
            assertEquals(new Shape(1, 64, 28, 28), maps.get(1).getShape());
            assertEquals(new Shape(1, 128, 14, 14), maps.get(2).getShape());
            assertEquals(new Shape(1, 256, 7, 7), maps.get(3).getShape());
        }
    }

    /** Index of the bias table for offsets (dy, dx) in a 2x2 window, as the published code builds it. */
    @Test
    void relativePositionIndex_matchesPublishedLayout() {
        // Positions 0..3 are (0,0), (0,1), (1,0), (1,1); row = (dy + 1) * 3 + (dx + 1).
        assertArrayEquals(new long[] {4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4},
                WindowAttention.relativePositionIndex(2));
    }
}
