package ai.peft4j.train.schedule;

import java.util.Locale;

/** The learning rate of each epoch, counted from 0 as the published training loop passes it. */
@FunctionalInterface
public interface LearningRateSchedule {
    double learningRate(int epoch);

    /**
     * A schedule by its published name: {@code cos} (warm-up cosine), {@code step} (10 geometric steps from
     * {@code lr} to {@code minLr}), {@code constant}, or {@code cos-step} (Hugging Face's warm-up cosine per optimiser
     * step, {@link StepWarmupCosine}, which the trainer applies step by step).
     */
    static LearningRateSchedule of(String name, double lr, double minLr, int epochs) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "cos":
            case "cosine":
                return new WarmupCosineSchedule(lr, minLr, epochs);
            case "step":
                return new StepSchedule(lr, minLr, epochs);
            case "constant":
                return epoch -> lr;
            case "cos-step":
                // Set per step by the trainer (StepWarmupCosine); an epoch reports the rate it starts at.
                return epoch -> epoch == 0 ? 0 : lr;
            default:
                throw new IllegalArgumentException("unknown learning-rate schedule '" + name
                        + "' (known: cos, step, constant, cos-step)");
        }
    }
}
