package ai.peft4j.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Gradients through constants stay exact when the garbage collector runs between forward and backward. */
class ScalarsTest {

    @Test
    void gradientsThroughConstants_surviveGarbageCollectionBeforeBackward() throws Exception {
        for (int trial = 0; trial < 8; trial++) {
            try (NDManager m = EngineSetup.newManager()) {
                NDArray x = m.ones(new Shape(4));
                x.setRequiresGradient(true);
                try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                    NDArray y = Scalars.sub(Scalars.add(Scalars.div(Scalars.mul(x, 3f), 0.5f), 1f), 2f).sum();
                    collectGarbage();
                    gc.backward(y);
                }
                // d/dx of (3x / 0.5 + 1 - 2) = 6, on every trial
                assertEquals(6f, x.getGradient().getFloat(0), "trial " + trial);
            }
        }
    }

    @Test
    void values_areTheArithmetic() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray x = m.create(new float[] {1, -2});
            assertEquals(-6f, Scalars.mul(x, 3f).getFloat(1));
            assertEquals(-0.5f, Scalars.div(x, 4f).getFloat(1));
            assertEquals(3.5f, Scalars.add(x, 2.5f).getFloat(0));
            assertEquals(-4f, Scalars.sub(x, 2f).getFloat(1));
        }
    }

    // Direct buffers of closed tensors are freed by the cleaner after a collection; fresh ones reuse the memory.
    private static void collectGarbage() throws InterruptedException {
        System.gc();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer.allocateDirect(4).putFloat(0, 12345f);
        }
        System.gc();
        Thread.sleep(30);
    }
}
