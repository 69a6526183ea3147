package ai.peft4j.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Exact values of the published schedules at chosen epochs (lr 1e-4, min 1e-6, as TP-LoRA trains). */
class SchedulesTest {
    private static final double LR = 1e-4;
    private static final double MIN = 1e-6;

    @Test
    void cos_100Epochs_warmupQuadraticFromTenthOfLr() {
        // 100 epochs: warm-up min(max(5, 1), 3) = 3 epochs from max(1e-5, 1e-6) = 1e-5.
        LearningRateSchedule s = LearningRateSchedule.of("cos", LR, MIN, 100);
        assertEquals(1e-5, s.learningRate(0), 1e-15);
        assertEquals(9e-5 / 9 + 1e-5, s.learningRate(1), 1e-15);
        assertEquals(9e-5 * 4 / 9 + 1e-5, s.learningRate(2), 1e-15);
        assertEquals(1e-4, s.learningRate(3), 1e-15);
    }

    @Test
    void cos_100Epochs_cosineBetweenAndMinLrOverLastFive() {
        // Cosine over epochs 3..95 (92 epochs): half-way (epoch 49) is the mean of lr and min_lr.
        LearningRateSchedule s = LearningRateSchedule.of("cos", LR, MIN, 100);
        assertEquals((LR + MIN) / 2, s.learningRate(49), 1e-15);
        assertEquals(MIN + 0.5 * (LR - MIN) * (1 + Math.cos(Math.PI / 92)), s.learningRate(4), 1e-15);
        assertEquals(MIN + 0.5 * (LR - MIN) * (1 + Math.cos(Math.PI * 91 / 92)), s.learningRate(94), 1e-15);
        assertEquals(MIN, s.learningRate(95), 0);
        assertEquals(MIN, s.learningRate(99), 0);
    }

    @Test
    void cos_500Epochs_asPublished_warmup3Flat15() {
        // The published run: 500 epochs, warm-up capped at 3, the last min(25, 15) = 15 epochs flat.
        LearningRateSchedule s = LearningRateSchedule.of("cos", LR, MIN, 500);
        assertEquals(LR, s.learningRate(3), 1e-15);
        assertEquals(MIN + 0.5 * (LR - MIN) * (1 + Math.cos(Math.PI * 481 / 482)), s.learningRate(484), 1e-15);
        assertEquals(MIN, s.learningRate(485), 0);
    }

    @Test
    void cos_10Epochs_fractionalWarmupOfOneEpoch() {
        // 10 epochs: warm-up max(0.5, 1) = 1 epoch, flat 1 epoch, cosine over epochs 1..9 (8 epochs).
        LearningRateSchedule s = LearningRateSchedule.of("cos", LR, MIN, 10);
        assertEquals(1e-5, s.learningRate(0), 1e-15);
        assertEquals(LR, s.learningRate(1), 1e-15);
        assertEquals((LR + MIN) / 2, s.learningRate(5), 1e-15);
        assertEquals(MIN, s.learningRate(9), 0);
    }

    @Test
    void cos_30Epochs_warmupOfOneAndAHalfEpochs() {
        // 30 epochs: W = 1.5, so epoch 1 is at (1/1.5)^2 = 4/9 of the way.
        LearningRateSchedule s = LearningRateSchedule.of("cos", LR, MIN, 30);
        assertEquals(9e-5 * 4 / 9 + 1e-5, s.learningRate(1), 1e-15);
        // Epoch 2 is past warm-up: cosine over 30 - 1.5 - 1.5 = 27 epochs from 1.5.
        assertEquals(MIN + 0.5 * (LR - MIN) * (1 + Math.cos(Math.PI * 0.5 / 27)), s.learningRate(2), 1e-15);
    }

    @Test
    void step_100Epochs_tenPlateausDownToMinLr() {
        LearningRateSchedule s = LearningRateSchedule.of("step", LR, MIN, 100);
        double decay = Math.pow(0.01, 1.0 / 9);
        assertEquals(LR, s.learningRate(0), 0);
        assertEquals(LR, s.learningRate(9), 0);
        assertEquals(LR * decay, s.learningRate(10), 1e-18);
        assertEquals(LR * decay * decay, s.learningRate(25), 1e-18);
        assertEquals(MIN, s.learningRate(99), 1e-18);
    }

    @Test
    void step_25Epochs_fractionalPlateaus() {
        // Plateaus of 2.5 epochs: epoch 4 is in plateau floor(4 / 2.5) = 1, epoch 5 in plateau 2.
        LearningRateSchedule s = LearningRateSchedule.of("step", LR, MIN, 25);
        double decay = Math.pow(0.01, 1.0 / 9);
        assertEquals(LR * decay, s.learningRate(4), 1e-18);
        assertEquals(LR * decay * decay, s.learningRate(5), 1e-18);
    }

    @Test
    void of_unknownName_listsKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LearningRateSchedule.of("poly", LR, MIN, 10));
        assertEquals("unknown learning-rate schedule 'poly' (known: cos, step, constant, cos-step, linear-step)",
                e.getMessage());
    }
}
