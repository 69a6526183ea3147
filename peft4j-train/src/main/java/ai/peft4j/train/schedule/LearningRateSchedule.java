package ai.peft4j.train.schedule;

import java.util.Locale;

/** The learning rate of each epoch, counted from 0 as the published training loop passes it. */
@FunctionalInterface
public interface LearningRateSchedule {
    double learningRate(int epoch);

    /**
     * A schedule by its published name: {@code cos} (warm-up cosine), {@code step} (10 geometric steps from
     * {@code lr} to {@code minLr}), {@code constant}, or a per-step schedule of {@link PerStepSchedule}
     * ({@code cos-step}, {@code linear-step}: Hugging Face's per optimiser step), which the trainer applies step by
     * step; as an epoch schedule it gives the rate each epoch starts at when an epoch is one step.
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
            case "linear-step":
                PerStepSchedule perStep = PerStepSchedule.named(name, lr, epochs);
                return perStep::learningRate;
            default:
                throw new IllegalArgumentException("unknown learning-rate schedule '" + name
                        + "' (known: cos, step, constant, cos-step, linear-step)");
        }
    }
}
