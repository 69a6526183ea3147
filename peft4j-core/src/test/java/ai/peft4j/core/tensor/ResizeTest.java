package ai.peft4j.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Golden values computed by hand. The input {@code [[0, 1], [2, 3]]} is the linear function {@code 2y + x} of the
 * pixel position, which bilinear interpolation reproduces exactly, so output {@code (i, j)} is {@code 2 s(i) + s(j)}
 * where {@code s} is the input position an output index samples (clamped to the edges).
 */
class ResizeTest {
    private NDManager manager;
    private NDArray square;

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
        square = manager.create(new float[] {0, 1, 2, 3}, new Shape(1, 1, 2, 2));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static float[] grid(double[] s) {
        float[] out = new float[s.length * s.length];
        for (int i = 0; i < s.length; i++) {
            for (int j = 0; j < s.length; j++) {
                out[i * s.length + j] = (float) (2 * s[i] + s[j]);
            }
        }
        return out;
    }

    @Test
    void bilinear_alignCorners_2x2to3x3_samplesHalfwayBetweenCorners() {
        // s(i) = i * (2 - 1) / (3 - 1)
        NDArray y = Resize.bilinear(square, 3, 3, true);
        assertEquals(new Shape(1, 1, 3, 3), y.getShape());
        assertArrayEquals(new float[] {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void bilinear_withoutAlignCorners_2x2to3x3_clampsAtTheEdges() {
        // s(i) = (i + 0.5) * 2 / 3 - 0.5 = -1/6, 1/2, 7/6, clamped to 0, 1/2, 1: here the two conventions agree.
        NDArray y = Resize.bilinear(square, 3, 3, false);
        assertArrayEquals(new float[] {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void bilinear_2x2to4x4_differsBetweenTheTwoConventions() {
        // align corners: s(i) = i / 3; centres: s(i) = (i + 0.5) / 2 - 0.5 = -1/4, 1/4, 3/4, 5/4 -> 0, 1/4, 3/4, 1.
        assertArrayEquals(grid(new double[] {0, 1 / 3.0, 2 / 3.0, 1}),
                Resize.bilinear(square, 4, 4, true).toFloatArray(), 1e-6f);
        assertArrayEquals(grid(new double[] {0, 0.25, 0.75, 1}),
                Resize.bilinear(square, 4, 4, false).toFloatArray(), 1e-6f);
        assertArrayEquals(Resize.bilinear(square, 4, 4, false).toFloatArray(),
                Resize.bilinearScale(square, 2, false).toFloatArray());
    }

    @Test
    void bilinear_3x3to2x2_alignCornersKeepsTheCornersAndCentresAverage() {
        // Input 3y + x on a 3x3 grid. Align corners: s = 0, 2 (the corners). Centres: s(i) = (i + 0.5) * 1.5 - 0.5
        // = 0.25, 1.75.
        NDArray x = manager.arange(0f, 9f).reshape(1, 1, 3, 3);
        assertArrayEquals(new float[] {0, 2, 6, 8}, Resize.bilinear(x, 2, 2, true).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {1f, 2.5f, 5.5f, 7f}, Resize.bilinear(x, 2, 2, false).toFloatArray(), 1e-6f);
    }

    @Test
    void bilinear_torchKernelAndWeightMatricesAgreeWhenEnlarging() {
        NDArray x = manager.randomNormal(new Shape(2, 3, 7, 5));
        assertArrayEquals(Resize.byWeights(x, 28, 20, false).toFloatArray(),
                Resize.bilinear(x, 28, 20, false).toFloatArray(), 1e-5f);
        NDArray aligned = Resize.bilinear(x, 28, 20, true);
        assertEquals(new Shape(2, 3, 28, 20), aligned.getShape());
        // Aligned corners reproduce the input's corner pixels exactly.
        assertEquals(x.getFloat(1, 2, 6, 4), aligned.getFloat(1, 2, 27, 19), 1e-6f);
        assertEquals(x.getFloat(0, 1, 0, 4), aligned.getFloat(0, 1, 0, 19), 1e-6f);
    }

    @Test
    void bilinear_alignCorners_isDifferentiable() {
        // Each output pixel of 2 -> 3 with aligned corners gives weights (1, 0), (1/2, 1/2), (0, 1) per axis, so the
        // gradient of the sum is (3/2)^2 at every input pixel.
        NDArray x = square.duplicate();
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(Resize.bilinear(x, 3, 3, true).sum());
        }
        assertArrayEquals(new float[] {2.25f, 2.25f, 2.25f, 2.25f}, x.getGradient().toFloatArray(), 1e-6f);
    }

    @Test
    void bilinear_rejectsMapsThatAreNotNchw() {
        assertThrows(IllegalArgumentException.class, () -> Resize.bilinear(manager.zeros(new Shape(2, 2)), 3, 3,
                true));
    }

    @Test
    void bicubic_4to2_mixesFourClampedTapsWithTorchCoefficients() {
        NDArray x = manager.create(new float[] {1, 2, 4, 8}, new Shape(1, 1, 1, 4));
        // Sources 0.5 and 2.5 sit halfway between taps: weights (-0.09375, 0.59375, 0.59375, -0.09375) at A = -0.75,
        // over pixels (0, 0, 1, 2) (index -1 clamped) and (1, 2, 3, 3) (index 4 clamped).
        NDArray y = Resize.bicubic(x, 1, 2, false);
        assertArrayEquals(new float[] {1.3125f, 6.1875f}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void bicubic_alignCorners_keepsTheCornersAndIsExactOnLines() {
        NDArray x = manager.create(new float[] {0, 3, 6, 9}, new Shape(1, 1, 1, 4));
        // A cubic convolution reproduces linear data away from clamped borders; the ends are the corners.
        NDArray y = Resize.bicubic(x, 1, 3, true);
        float[] v = y.toFloatArray();
        assertEquals(0f, v[0], 1e-6f);
        assertEquals(9f, v[2], 1e-6f);
        // Middle sample at 1.5 between 3 and 6: (-0.09375 * 0 + 0.59375 * 3 + 0.59375 * 6 - 0.09375 * 9).
        assertEquals(4.5f, v[1], 1e-6f);
    }
}
