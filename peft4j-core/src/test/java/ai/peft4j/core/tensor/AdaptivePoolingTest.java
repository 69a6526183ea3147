package ai.peft4j.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import org.junit.jupiter.api.Test;

/** Golden values of adaptive average pooling, with the overlapping bins of torch's rule computed by hand. */
class AdaptivePoolingTest {
    @Test
    void binRule_matchesTorchOverlappingBins() {
        // 7 into 3: [0, 3), [2, 5), [4, 7); 7 into 6: [0,2) [1,3) [2,4) [3,5) [4,6) [5,7); 7 into 2: [0, 4), [3, 7).
        long[][] three = {{0, 3}, {2, 5}, {4, 7}};
        for (int i = 0; i < 3; i++) {
            assertEquals(three[i][0], AdaptivePooling.start(i, 3, 7));
            assertEquals(three[i][1], AdaptivePooling.end(i, 3, 7));
        }
        for (int i = 0; i < 6; i++) {
            assertEquals(i, AdaptivePooling.start(i, 6, 7));
            assertEquals(i + 2, AdaptivePooling.end(i, 6, 7));
        }
        assertEquals(3, AdaptivePooling.start(1, 2, 7));
        assertEquals(4, AdaptivePooling.end(0, 2, 7));
    }

    @Test
    void avgPool2d_5x5to3x3_averagesOverlappingBins() {
        try (NDManager m = EngineSetup.newManager()) {
            // Value 5y + x; 5 into 3 bins: [0, 2), [1, 4), [3, 5) with centres 0.5, 2, 3.5 on both axes.
            NDArray x = m.arange(0f, 25f).reshape(1, 1, 5, 5);
            double[] c = {0.5, 2, 3.5};
            float[] expected = new float[9];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    expected[i * 3 + j] = (float) (5 * c[i] + c[j]);
                }
            }
            NDArray y = AdaptivePooling.avgPool2d(x, 3, 3);
            assertEquals(new Shape(1, 1, 3, 3), y.getShape());
            assertArrayEquals(expected, y.toFloatArray(), 1e-5f);
            assertArrayEquals(expected, AdaptivePooling.bySlicing(x, 3, 3).toFloatArray(), 1e-5f);
        }
    }

    @Test
    void avgPool2d_engineAndSlicingAgreeOnThePyramidSizes() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 7, 7));
            for (int size : new int[] {1, 2, 3, 6}) {
                assertArrayEquals(AdaptivePooling.bySlicing(x, size, size).toFloatArray(),
                        AdaptivePooling.avgPool2d(x, size, size).toFloatArray(), 1e-5f, "bins " + size);
            }
            assertArrayEquals(Reductions.mean(x, 2, 3).toFloatArray(),
                    AdaptivePooling.avgPool2d(x, 1, 1).toFloatArray(), 1e-5f);
        }
    }
}
