package ai.peft4j.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import org.junit.jupiter.api.Test;

class RollTest {
    @Test
    void roll_matchesTorchRollOnTinyShapes() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray x = m.arange(0f, 12f).reshape(3, 4);
            // torch.roll(x, -1, dims=1) and torch.roll(x, 1, dims=0)
            assertArrayEquals(new float[] {1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8},
                    Roll.roll(x, -1, 1).toFloatArray());
            assertArrayEquals(new float[] {8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7}, Roll.roll(x, 1, 0).toFloatArray());
            assertArrayEquals(x.toFloatArray(), Roll.roll(x, 4, 1).toFloatArray());
            assertArrayEquals(Roll.roll(x, 1, 1).toFloatArray(), Roll.roll(x, -7, -1).toFloatArray());
            assertArrayEquals(new long[] {3, 4}, Roll.roll(x, 2, 1).getShape().getShape());
            NDArray y = m.arange(0f, 8f).reshape(new Shape(1, 2, 2, 2));
            // Rolling back undoes rolling forward on every axis.
            assertArrayEquals(y.toFloatArray(), Roll.roll(Roll.roll(y, -1, 2), 1, 2).toFloatArray());
        }
    }
}
