package ai.peft4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Golden values of the layers on tiny shapes, computed by hand. */
class LayersTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void batchNorm_trainingUsesBatchStatsAndUpdatesRunningOnesWithMomentumPointOne() {
        BatchNorm2d bn = new BatchNorm2d(manager, 1);
        // One channel, values 1, 2, 3, 4: mean 2.5, biased var 1.25, unbiased var 5/3.
        NDArray x = manager.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2));
        NDArray y = bn.forward(x);
        double sd = Math.sqrt(1.25 + 1e-5);
        assertArrayEquals(new float[] {(float) (-1.5 / sd), (float) (-0.5 / sd), (float) (0.5 / sd),
            (float) (1.5 / sd)}, y.toFloatArray(), 1e-6f);
        assertEquals(0.25f, bn.buffer("running_mean").data().getFloat(0), 1e-6f);
        assertEquals(0.9f + 0.1f * 5f / 3f, bn.buffer("running_var").data().getFloat(0), 1e-6f);
        assertEquals(1L, bn.buffer("num_batches_tracked").data().getLong());

        bn.eval();
        NDArray z = bn.forward(x);
        double sdRun = Math.sqrt(0.9 + 0.5 / 3 + 1e-5);
        assertEquals((1 - 0.25) / sdRun, z.getFloat(0, 0, 0, 0), 1e-6);
        assertEquals(1L, bn.buffer("num_batches_tracked").data().getLong());
    }

    @Test
    void dropPath_dropsWholeSamplesInTrainingAndIsIdentityInEval() {
        DropPath dp = new DropPath(0.5f);
        NDArray x = manager.ones(new Shape(64, 3, 4));
        NDArray y = dp.forward(x);
        float[] v = y.toFloatArray();
        int kept = 0;
        for (int s = 0; s < 64; s++) {
            float first = v[s * 12];
            assertTrue(first == 0f || first == 2f, "sample " + s + " scaled by " + first);
            for (int i = 1; i < 12; i++) {
                assertEquals(first, v[s * 12 + i], "a sample is dropped or kept as a whole");
            }
            kept += first == 2f ? 1 : 0;
        }
        assertTrue(kept > 10 && kept < 54, "about half the samples are kept, got " + kept);
        dp.eval();
        assertEquals(x, dp.forward(x));
    }

    @Test
    void upsampleNearest_repeatsEachPixel() {
        NDArray x = manager.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2));
        NDArray y = new UpsampleNearest(2).forward(x);
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, y.toFloatArray());
    }

    @Test
    void gelu_isTheExactErfForm() {
        NDArray y = Activation.gelu().forward(manager.create(new float[] {-1f, 0.5f, 2f}));
        // x * Phi(x): Phi(-1) = 0.158655, Phi(0.5) = 0.691462, Phi(2) = 0.977250
        assertArrayEquals(new float[] {-0.158655f, 0.345731f, 1.954500f}, y.toFloatArray(), 2e-6f);
    }

    @Test
    void conv2d_rejectsWrongChannelCountWithShapes() {
        Conv2d c = Conv2d.same(manager, 3, 8, 3);
        IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> c.forward(manager.zeros(new Shape(1, 4, 8, 8))));
        assertTrue(ex.getMessage().contains("expects [N, 3, H, W], got (1, 4, 8, 8)"), ex.getMessage());
    }

    @Test
    void groupNorm_oneGroupNormalisesOverChannelsAndPositionsThenScalesPerChannel() {
        GroupNorm gn = new GroupNorm(manager, 1, 2);
        gn.parameter("weight").replace(manager.create(new float[] {1f, 2f}));
        gn.parameter("bias").replace(manager.create(new float[] {0f, 0.5f}));
        // Channel 0: 1, 2; channel 1: 3, 4. One group: mean 2.5, biased var 1.25.
        NDArray y = gn.forward(manager.create(new float[] {1, 2, 3, 4}, new Shape(1, 2, 1, 2)));
        double sd = Math.sqrt(1.25 + 1e-5);
        assertArrayEquals(new float[] {(float) (-1.5 / sd), (float) (-0.5 / sd), (float) (2 * 0.5 / sd + 0.5),
            (float) (2 * 1.5 / sd + 0.5)}, y.toFloatArray(), 1e-6f);
        // Two groups normalise each channel on its own.
        NDArray z = new GroupNorm(manager, 2, 2).forward(manager.create(new float[] {1, 3, 10, 30},
                new Shape(1, 2, 1, 2)));
        assertArrayEquals(new float[] {-1, 1, -1, 1}, z.toFloatArray(), 1e-4f);
    }

    @Test
    void avgPool2d_withoutCountingPaddingAveragesOnlyRealNeighbours() {
        NDArray x = manager.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, new Shape(1, 1, 3, 3));
        // Corner (0, 0): mean of 1, 2, 4, 5 = 3; edge (0, 1): mean of 1..6 = 3.5; centre: mean of 1..9 = 5.
        NDArray y = new AvgPool2d(3, 1, 1, false).forward(x);
        assertArrayEquals(new float[] {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}, y.toFloatArray(), 1e-6f);
        // Counting the zero padding divides by 9 everywhere: corner 12 / 9.
        assertEquals(12f / 9f, new AvgPool2d(3, 1, 1, true).forward(x).getFloat(0, 0, 0, 0), 1e-6f);
    }

    @Test
    void upsampleBilinear_followsTheAlignCornersFlag() {
        NDArray x = manager.create(new float[] {0, 1}, new Shape(1, 1, 1, 2));
        assertArrayEquals(new float[] {0, 1 / 3f, 2 / 3f, 1}, new UpsampleBilinear(2, true).forward(x).get(0, 0, 0)
                .toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1}, new UpsampleBilinear(2, false).forward(x).get(0, 0, 0)
                .toFloatArray(), 1e-6f);
    }

    @Test
    void layerNorm2d_normalisesEachPixelOverChannelsThenScalesPerChannel() {
        LayerNorm2d ln = new LayerNorm2d(manager, 2);
        ln.parameter("weight").replace(manager.create(new float[] {1f, 2f}));
        ln.parameter("bias").replace(manager.create(new float[] {0f, 0.5f}));
        // Pixel 0 holds channels (1, 3): mean 2, biased var 1; pixel 1 holds (5, 5): var 0, so both become 0.
        NDArray y = ln.forward(manager.create(new float[] {1, 5, 3, 5}, new Shape(1, 2, 1, 2)));
        double sd = Math.sqrt(1 + 1e-6);
        assertArrayEquals(new float[] {(float) (-1 / sd), 0f, (float) (2 / sd + 0.5), 0.5f}, y.toFloatArray(),
                1e-6f);
    }

    @Test
    void convTranspose2d_spreadsEachPixelOverAStrideTwoBlock() {
        ConvTranspose2d up = new ConvTranspose2d(manager, 2, 1, 2, 2, true);
        // Weight [in 2, out 1, 2, 2]: channel 0 paints (1 2 / 3 4), channel 1 paints (10 20 / 30 40).
        up.weight().replace(manager.create(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, new Shape(2, 1, 2, 2)));
        up.bias().replace(manager.create(new float[] {0.5f}));
        // Input 1x2 pixels: channel 0 = (1, 2), channel 1 = (0, 1).
        NDArray y = up.forward(manager.create(new float[] {1, 2, 0, 1}, new Shape(1, 2, 1, 2)));
        assertEquals(new Shape(1, 1, 2, 4), y.getShape());
        // Pixel 0 gives 1 * (1 2 / 3 4); pixel 1 gives 2 * (1 2 / 3 4) + 1 * (10 20 / 30 40); plus the bias.
        assertArrayEquals(new float[] {1.5f, 2.5f, 12.5f, 24.5f, 3.5f, 4.5f, 36.5f, 48.5f}, y.toFloatArray(),
                1e-6f);
    }

    @Test
    void convTranspose2d_refusesOverlappingKernelsItCannotCompute() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ConvTranspose2d(manager, 4, 2, 3, 2, true));
        assertEquals("ConvTranspose2d supports stride equal to the kernel only, got kernel 3 and stride 2",
                e.getMessage());
    }
}
