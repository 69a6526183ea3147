package ai.peft4j.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.train.schedule.PerStepSchedule.Shape;
import org.junit.jupiter.api.Test;

/** Hugging Face's get_cosine_schedule_with_warmup and get_linear_schedule_with_warmup at hand-computed steps. */
class PerStepScheduleTest {
    @Test
    void cosine_warmsUpLinearly_thenFollowsAHalfCosineToZero() {
        // peft-vit's configs: 10,000 steps, 500 warming up.
        PerStepSchedule s = new PerStepSchedule(Shape.COSINE, 0.05, 10_000, 500);
        assertEquals(0.0, s.learningRate(0));
        assertEquals(0.05 * 250 / 500, s.learningRate(250), 1e-15);
        assertEquals(0.05, s.learningRate(500), 1e-15);
        // Half way through the decay the cosine factor is 1/2.
        assertEquals(0.025, s.learningRate(500 + 4750), 1e-12);
        assertEquals(0.0, s.learningRate(10_000), 1e-15);
        // The published share: 5 % of the steps warm up.
        PerStepSchedule named = PerStepSchedule.named("cos-step", 0.05, 10_000);
        assertEquals(0.05 * 499 / 500, named.learningRate(499), 1e-15);
        assertEquals(0.05, named.learningRate(500), 1e-15);
    }

    @Test
    void linearStep_fallsFromLrAtStepZeroToZeroAtTheEnd_withoutWarmup() {
        // The Florence-2 script: get_scheduler("linear", num_warmup_steps=0, num_training_steps=10), lr 1e-3;
        // step s trains at 1e-3 * (10 - s) / 10.
        PerStepSchedule s = PerStepSchedule.named("linear-step", 1e-3, 10);
        assertEquals(1e-3, s.learningRate(0), 1e-18);
        assertEquals(9e-4, s.learningRate(1), 1e-18);
        assertEquals(5e-4, s.learningRate(5), 1e-18);
        assertEquals(1e-4, s.learningRate(9), 1e-18);
        assertEquals(0.0, s.learningRate(10), 1e-18);
    }

    @Test
    void linear_withWarmup_risesFromZeroThenFallsOverTheRemainingSteps() {
        // 2 of 10 steps warm up: 0, 5e-4, then 1e-3 * (10 - s) / 8.
        PerStepSchedule s = new PerStepSchedule(Shape.LINEAR, 1e-3, 10, 2);
        assertEquals(0.0, s.learningRate(0));
        assertEquals(5e-4, s.learningRate(1), 1e-18);
        assertEquals(1e-3, s.learningRate(2), 1e-18);
        assertEquals(5e-4, s.learningRate(6), 1e-18);
        assertEquals(2.5e-4, s.learningRate(8), 1e-18);
        assertEquals(0.0, s.learningRate(10), 1e-18);
    }

    @Test
    void names_perStepOnes_inAnyCase() {
        assertTrue(PerStepSchedule.isPerStep("cos-step"));
        assertTrue(PerStepSchedule.isPerStep("Linear-Step"));
        assertFalse(PerStepSchedule.isPerStep("cos"));
        assertFalse(PerStepSchedule.isPerStep("linear"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PerStepSchedule.named("cos", 1e-3, 10));
        assertEquals("'cos' is not a per-step schedule (known: cos-step, linear-step)", e.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> new PerStepSchedule(Shape.LINEAR, 1e-3, 10, 11));
        assertEquals("a per-step schedule needs at least one step and a warm-up within them, got 10 steps, 11 "
                + "warming up", w.getMessage());
    }

    @Test
    void asAnEpochSchedule_anEpochIsOneStep() {
        // linear-step over 4 epochs: 1e-3 * (4 - e) / 4.
        LearningRateSchedule s = LearningRateSchedule.of("linear-step", 1e-3, 1e-5, 4);
        assertEquals(1e-3, s.learningRate(0), 1e-18);
        assertEquals(2.5e-4, s.learningRate(3), 1e-18);
    }
}
