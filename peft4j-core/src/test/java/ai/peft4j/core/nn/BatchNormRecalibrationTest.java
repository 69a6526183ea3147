package ai.peft4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Precise BatchNorm: the running statistics become the plain average of the fed batches' statistics. */
class BatchNormRecalibrationTest {
    private NDManager manager;

    /** Two BatchNorm layers of 2 channels in a row; the second can be held in eval mode. */
    private static final class TwoNorms extends Module {
        final BatchNorm2d first;
        final BatchNorm2d second;

        TwoNorms(NDManager manager) {
            first = registerModule("first", new BatchNorm2d(manager, 2));
            second = registerModule("second", new BatchNorm2d(manager, 2));
        }

        NDArray forward(NDArray x) {
            return second.forward(first.forward(x));
        }
    }

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** A batch of one image of 2 channels, 1x2 pixels: channel 0 holds {@code a, b}, channel 1 {@code c, d}. */
    private NDArray batch(float a, float b, float c, float d) {
        return manager.create(new float[] {a, b, c, d}, new Shape(1, 2, 1, 2));
    }

    @Test
    void runningStatisticsAreTheAveragesOfTheBatchesFed() {
        TwoNorms model = new TwoNorms(manager);
        model.second.holdEval(true);
        // Statistics a long training run left behind, which recalibration must replace, not blend with.
        model.first.buffer("running_mean").replace(manager.create(new float[] {100, -100}));
        model.first.buffer("running_var").replace(manager.create(new float[] {50, 50}));
        model.eval();
        // Channel 0: batches {1, 3}, {5, 7}, {0, 4}: means 2, 6, 2 (average 10/3); unbiased variances 2, 2, 8
        // (average 4). Channel 1: {10, 10}, {10, 12}, {13, 13}: means 10, 11, 13 (average 34/3); variances 0, 2, 0
        // (average 2/3).
        List<NDArray> batches = List.of(batch(1, 3, 10, 10), batch(5, 7, 10, 12), batch(0, 4, 13, 13),
                batch(1000, -1000, 1000, -1000));
        int[] next = {0};
        int fed = BatchNormRecalibration.recalibrate(model, 3, () -> {
            assertTrue(model.first.isTraining(), "batches run in training mode");
            model.forward(batches.get(next[0]++));
            return true;
        });
        assertEquals(3, fed);
        assertEquals(3, next[0], "the fourth batch is never asked for");
        assertArrayEquals(new float[] {10f / 3, 34f / 3}, model.first.buffer("running_mean").data().toFloatArray(),
                1e-5f);
        assertArrayEquals(new float[] {4f, 2f / 3}, model.first.buffer("running_var").data().toFloatArray(), 1e-5f);
        // The layer held in eval mode keeps its fresh statistics.
        assertArrayEquals(new float[] {0, 0}, model.second.buffer("running_mean").data().toFloatArray());
        assertArrayEquals(new float[] {1, 1}, model.second.buffer("running_var").data().toFloatArray());
        assertEquals(List.of(model.first), BatchNormRecalibration.updatingLayers(model));
        // Mode and momentum are as before.
        assertFalse(model.first.isTraining());
        assertEquals(0.1f, model.first.momentum());
        // Eval mode now normalises with the averages: (1 - 10/3) / sqrt(4 + 1e-5) on channel 0's first pixel.
        assertEquals((1 - 10.0 / 3) / Math.sqrt(4 + 1e-5), model.first.forward(batch(1, 3, 10, 10))
                .getFloat(0, 0, 0, 0), 1e-5);
    }

    @Test
    void stopsWhenTheBatchesRunOut() {
        TwoNorms model = new TwoNorms(manager);
        List<NDArray> batches = List.of(batch(1, 3, 10, 10), batch(5, 7, 10, 12));
        int[] next = {0};
        int fed = BatchNormRecalibration.recalibrate(model, 10, () -> {
            if (next[0] == batches.size()) {
                return false;
            }
            model.forward(batches.get(next[0]++));
            return true;
        });
        assertEquals(2, fed);
        assertArrayEquals(new float[] {4, 10.5f}, model.first.buffer("running_mean").data().toFloatArray(), 1e-5f);
        assertArrayEquals(new float[] {2, 1}, model.first.buffer("running_var").data().toFloatArray(), 1e-5f);
        assertTrue(model.first.isTraining(), "a model in training mode stays there");
    }

    @Test
    void refusesAModelWhoseBatchNormLayersAreAllFrozen() {
        TwoNorms model = new TwoNorms(manager);
        model.first.holdEval(true);
        model.second.holdEval(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchNormRecalibration.recalibrate(model, 2, () -> true));
        assertTrue(e.getMessage().contains("held frozen"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BatchNormRecalibration.recalibrate(new TwoNorms(manager),
                0, () -> true));
    }
}
