package ai.peft4j.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * A constant made from a Java array, multiplied into a tensor that carries gradients and closed before the backward
 * pass (as a module's intermediates are when it returns), still gives the exact gradient after a garbage collection.
 */
class ConstantsTest {

    @Test
    void gradientThroughAClosedConstant_survivesGarbageCollection() throws Exception {
        // y = sum(W x) with W = [[1, 2], [3, 4], [5, 6]]: dy/dx = column sums of W = (9, 12), on every trial.
        float[] w = {1, 2, 3, 4, 5, 6};
        for (int trial = 0; trial < 8; trial++) {
            try (NDManager m = EngineSetup.newManager()) {
                NDArray x = m.ones(new Shape(2, 1));
                x.setRequiresGradient(true);
                try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                    NDArray y;
                    try (NDManager child = m.newSubManager()) {
                        NDArray c = Constants.of(child, w, new Shape(3, 2), DataType.FLOAT32);
                        y = c.matMul(x).sum();
                        y.attach(m);
                    }
                    collectGarbage();
                    gc.backward(y);
                }
                assertArrayEquals(new float[] {9f, 12f}, x.getGradient().toFloatArray(), "trial " + trial);
            }
        }
    }

    @Test
    void resizeMatrices_keepGradientsWhenTheirScopeCloses() throws Exception {
        // Bilinear resizing with aligned corners goes through sampling matrices; each input pixel's gradient is the
        // sum of the weights it gives the output, which does not depend on the garbage collector.
        float[] expected = null;
        for (int trial = 0; trial < 6; trial++) {
            try (NDManager m = EngineSetup.newManager()) {
                NDArray x = m.ones(new Shape(1, 1, 3, 3));
                x.setRequiresGradient(true);
                try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                    NDArray y;
                    try (NDManager child = m.newSubManager()) {
                        NDArray xs = x.reshape(1, 1, 3, 3);
                        xs.attach(child);
                        y = Resize.bilinear(xs, 7, 5, true).sum();
                        y.attach(m);
                    }
                    collectGarbage();
                    gc.backward(y);
                }
                float[] g = x.getGradient().toFloatArray();
                float total = 0f;
                for (float v : g) {
                    total += v;
                }
                assertEquals(35f, total, 1e-4f, "every output pixel's weights sum to one, trial " + trial);
                if (expected == null) {
                    expected = g;
                } else {
                    assertArrayEquals(expected, g, 0f, "trial " + trial);
                }
            }
        }
    }

    @Test
    void otherTypes_areConverted() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray c = Constants.of(m, new float[] {1.5f, -2f}, new Shape(2), DataType.FLOAT64);
            assertEquals(DataType.FLOAT64, c.getDataType());
            assertArrayEquals(new double[] {1.5, -2}, c.toDoubleArray());
        }
    }

    // Direct buffers of closed tensors are freed by the cleaner after a collection; fresh ones reuse the memory.
    private static void collectGarbage() throws InterruptedException {
        System.gc();
        for (int i = 0; i < 4000; i++) {
            ByteBuffer.allocateDirect(24).putFloat(0, 12345f);
        }
        System.gc();
        Thread.sleep(30);
    }
}
