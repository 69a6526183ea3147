package ai.peft4j.models.efficientformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import java.util.List;
import org.junit.jupiter.api.Test;

class EfficientFormerV2Test {
    @Test
    void attentionBias_countsDistinctOffsetsInFirstSeenOrder() {
        // A 7x7 grid has 7 * 7 offsets (|dy|, |dx|); queries every 2nd pixel of a 14x14 grid reach 14 * 14.
        AttentionBias full = AttentionBias.of(7, 1, 7);
        assertEquals(49, full.offsets);
        assertEquals(49 * 49, full.index.length);
        assertEquals(0, full.index[0]);
        assertEquals(1, full.index[1]); // (0, 1), the second offset met
        assertEquals(0, full.index[49 + 1]); // query 1 to key 1: offset (0, 0)
        AttentionBias down = AttentionBias.of(7, 2, 14);
        assertEquals(196, down.offsets);
        assertEquals(49 * 196, down.index.length);
    }

    @Test
    void s0_givesFourMapsAtTheStageWidths() {
        try (NDManager m = EngineSetup.newManager()) {
            EfficientFormerV2 net = new EfficientFormerV2(m, EfficientFormerV2Config.s0());
            net.eval();
            List<NDArray> maps = net.features(m.randomUniform(0f, 1f, new Shape(2, 3, 224, 224)));
            assertEquals(List.of(new Shape(2, 32, 56, 56), new Shape(2, 48, 28, 28), new Shape(2, 96, 14, 14),
                    new Shape(2, 176, 7, 7)), maps.stream().map(NDArray::getShape).toList());
        }
    }

    @Test
    void s0_runsAgainAfterAStepManagerIsClosed_withItsLayerScalesIntact() {
        try (NDManager m = EngineSetup.newManager()) {
            EfficientFormerV2 net = new EfficientFormerV2(m, EfficientFormerV2Config.s0());
            net.eval();
            float[] sums = new float[2];
            for (int step = 0; step < 2; step++) {
                // Each step's arrays live in a sub-manager closed at its end, as in training and inference loops.
                try (NDManager s = m.newSubManager()) {
                    sums[step] = net.features(s.ones(new Shape(1, 3, 224, 224))).get(3).sum().getFloat();
                }
            }
            assertEquals(sums[0], sums[1], Math.abs(sums[0]) * 1e-6f);
            net.namedParameters().forEach((name, p) -> assertTrue(!p.data().isReleased(), name + " was freed"));
        }
    }

    @Test
    void s0_hasTheParametersOfThePublishedBackbone() {
        try (NDManager m = EngineSetup.newManager()) {
            // The common_backbone.* parameters of the published FastSegFormer-E.
            assertEquals(3_246_608L, new EfficientFormerV2(m, EfficientFormerV2Config.s0()).parameterCount());
        }
    }

    @Test
    void s0_rejectsInputsOtherThanItsResolution() {
        try (NDManager m = EngineSetup.newManager()) {
            EfficientFormerV2 net = new EfficientFormerV2(m, EfficientFormerV2Config.s0());
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> net.features(m.zeros(new Shape(1, 3, 256, 256))));
            assertTrue(ex.getMessage().contains("[B, 3, 224, 224]"), ex.getMessage());
        }
    }

    @Test
    void forwardInAChildScope_leavesTheLayerScalesAlive() {
        try (NDManager m = EngineSetup.newManager()) {
            EfficientFormerV2Config small = new EfficientFormerV2Config(new int[] {1, 1, 2, 2},
                    new int[] {8, 16, 16, 16}, new int[][] {{2}, {2}, {2, 2}, {2, 2}}, 1, 64, 0f, 0.5f);
            EfficientFormerV2 net = new EfficientFormerV2(m, small);
            net.eval();
            float[] first;
            try (NDManager step = m.newSubManager()) {
                first = net.features(step.ones(new Shape(1, 3, 64, 64))).get(3).toFloatArray();
            }
            // Closing the step's scope used to free the layer scales with it; the second pass then failed.
            try (NDManager step = m.newSubManager()) {
                float[] second = net.features(step.ones(new Shape(1, 3, 64, 64))).get(3).toFloatArray();
                assertEquals(first[0], second[0]);
            }
            assertEquals(0.5f, net.namedParameters().get("network.0.0.layer_scale_2").data().getFloat(0, 0, 0));
        }
    }
}
