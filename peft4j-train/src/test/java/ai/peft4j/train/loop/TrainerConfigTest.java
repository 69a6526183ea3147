package ai.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which schedules the trainer sets per step, and over how many steps. */
class TrainerConfigTest {
    private static TrainerConfig withSchedule(String schedule) {
        return TrainerConfig.builder().setEpochs(3).setNumClasses(2).optLearningRate(0.01).optSchedule(schedule)
                .build();
    }

    @Test
    void perStepSchedules_runOverEpochsTimesBatches() {
        assertFalse(withSchedule("cos").perStepSchedule());
        assertFalse(withSchedule("constant").perStepSchedule());
        assertTrue(withSchedule("cos-step").perStepSchedule());
        TrainerConfig linear = withSchedule("linear-step");
        assertTrue(linear.perStepSchedule());
        // 3 epochs of 4 batches: 12 steps; step 4 (epoch 2's first) trains at 0.01 * 8 / 12, step 9 at 0.01 * 3 / 12.
        assertEquals(0.01 * 8 / 12, linear.stepSchedule(4).learningRate(4), 1e-15);
        assertEquals(0.0025, linear.stepSchedule(4).learningRate(9), 1e-15);
        // cos-step over 12 steps warms up round(0.6) = 1 step: step 0 at 0, step 1 at 0.01.
        assertEquals(0.0, withSchedule("cos-step").stepSchedule(4).learningRate(0));
        assertEquals(0.01, withSchedule("cos-step").stepSchedule(4).learningRate(1), 1e-15);
    }
}
