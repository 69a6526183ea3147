package ai.peft4j.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Hugging Face's get_cosine_schedule_with_warmup at hand-computed steps. */
class StepWarmupCosineTest {
    @Test
    void warmsUpLinearly_thenFollowsAHalfCosineToZero() {
        // peft-vit's configs: 10,000 steps, 500 warming up.
        StepWarmupCosine s = new StepWarmupCosine(0.05, 10_000, 500);
        assertEquals(0.0, s.learningRate(0));
        assertEquals(0.05 * 250 / 500, s.learningRate(250), 1e-15);
        assertEquals(0.05, s.learningRate(500), 1e-15);
        // Half way through the decay the cosine factor is 1/2.
        assertEquals(0.025, s.learningRate(500 + 4750), 1e-12);
        assertEquals(0.0, s.learningRate(10_000), 1e-15);
        // The published share: 5 % of the steps warm up.
        StepWarmupCosine over = StepWarmupCosine.over(0.05, 10_000);
        assertEquals(0.05 * 499 / 500, over.learningRate(499), 1e-15);
        assertEquals(0.05, over.learningRate(500), 1e-15);
    }
}
