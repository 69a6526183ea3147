package ai.peft4j.train.schedule;

import java.util.List;
import java.util.Locale;

/**
 * Hugging Face's per-optimiser-step schedules with a linear warm-up: the rate rises linearly from 0 over the first
 * {@code warmup} steps, then falls from {@code lr} to 0 at step {@code steps} along a {@link Shape}.
 *
 * <ul>
 *   <li>{@code cos-step}: {@code get_cosine_schedule_with_warmup}, as peft-vit trains with it (500 of 10,000 steps
 *       warming up; the same 5 % here);
 *   <li>{@code linear-step}: {@code get_linear_schedule_with_warmup} ({@code get_scheduler("linear", ...)}), as the
 *       Florence-2 fine-tuning trains with it, without warm-up.
 * </ul>
 */
public final class PerStepSchedule {
    /** How the rate falls after the warm-up; {@code progress} runs from 0 at the warm-up's end to 1 at the end. */
    public enum Shape {
        /** A half cosine: {@code 0.5 (1 + cos(pi progress))}. */
        COSINE,
        /** A straight line: {@code 1 - progress}. */
        LINEAR;

        double factor(double progress) {
            return this == COSINE ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
        }
    }

    /** The schedule names, as {@code training.schedule} gives them. */
    public static final List<String> NAMES = List.of("cos-step", "linear-step");
    /** Share of the steps {@code cos-step} spends warming up (peft-vit: 500 of 10,000). */
    public static final double COSINE_WARMUP_SHARE = 0.05;
    private final Shape shape;
    private final double lr;
    private final long steps;
    private final long warmup;

    public PerStepSchedule(Shape shape, double lr, long steps, long warmup) {
        if (steps < 1 || warmup < 0 || warmup > steps) {
            throw new IllegalArgumentException("a per-step schedule needs at least one step and a warm-up within "
                    + "them, got " + steps + " steps, " + warmup + " warming up");
        }
        this.shape = shape;
        this.lr = lr;
        this.steps = steps;
        this.warmup = warmup;
    }

    /** Whether {@code name} is a per-step schedule (any case). */
    public static boolean isPerStep(String name) {
        return NAMES.contains(name.toLowerCase(Locale.ROOT));
    }

    /**
     * The schedule {@code name} over {@code steps} steps with its published warm-up: 5 % of the steps for
     * {@code cos-step}, none for {@code linear-step}.
     */
    public static PerStepSchedule named(String name, double lr, long steps) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "cos-step":
                return new PerStepSchedule(Shape.COSINE, lr, steps, Math.round(COSINE_WARMUP_SHARE * steps));
            case "linear-step":
                return new PerStepSchedule(Shape.LINEAR, lr, steps, 0);
            default:
                throw new IllegalArgumentException("'" + name + "' is not a per-step schedule (known: "
                        + String.join(", ", NAMES) + ")");
        }
    }

    /** The learning rate of step {@code step}, counted from 0. */
    public double learningRate(long step) {
        if (step < warmup) {
            return lr * step / Math.max(1, warmup);
        }
        double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
        return lr * Math.max(0, shape.factor(progress));
    }
}
