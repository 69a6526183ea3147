package ai.peft4j.train.schedule;

/**
 * Hugging Face's {@code get_cosine_schedule_with_warmup}, per optimiser step, as peft-vit trains with it: a linear
 * warm-up from 0 over the first {@code warmup} steps, then a half cosine from {@code lr} to 0 at the last step.
 * peft-vit warms up 500 of 10,000 steps; {@code training.schedule: cos-step} warms up the same 5 %.
 */
public final class StepWarmupCosine {
    /** Share of the steps spent warming up (published: 500 of 10,000). */
    public static final double WARMUP_SHARE = 0.05;
    private final double lr;
    private final long steps;
    private final long warmup;

    public StepWarmupCosine(double lr, long steps, long warmup) {
        if (steps < 1 || warmup < 0 || warmup > steps) {
            throw new IllegalArgumentException("a per-step schedule needs at least one step and a warm-up within "
                    + "them, got " + steps + " steps, " + warmup + " warming up");
        }
        this.lr = lr;
        this.steps = steps;
        this.warmup = warmup;
    }

    /** The schedule over {@code steps} steps with the published warm-up share. */
    public static StepWarmupCosine over(double lr, long steps) {
        return new StepWarmupCosine(lr, steps, Math.round(WARMUP_SHARE * steps));
    }

    /** The learning rate of step {@code step}, counted from 0. */
    public double learningRate(long step) {
        if (step < warmup) {
            return lr * step / Math.max(1, warmup);
        }
        double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
        return lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
