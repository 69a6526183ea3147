package ai.peft4j.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import org.junit.jupiter.api.Test;

class ReductionsTest {
    @Test
    void meanAndSum_overSeveralAxes() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray x = m.arange(0f, 24f).reshape(2, 3, 4);
            // Over axes 0 and 2 the mean of column c is the mean of {4c..4c+3} and {12+4c..12+4c+3}.
            assertArrayEquals(new float[] {7.5f, 11.5f, 15.5f}, Reductions.mean(x, 0, 2).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {60f, 92f, 124f}, Reductions.sum(x, 0, 2).toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {5.5f, 17.5f}, Reductions.mean(x, -1, 1).toFloatArray(), 1e-6f);
            assertArrayEquals(new long[] {2}, Reductions.mean(x, 1, 2).getShape().getShape());
        }
    }
}
