package ai.peft4j.train.schedule;

/**
 * TP-LoRA's {@code 'step'} decay: {@code steps} plateaus of {@code E / steps} epochs (a real number, as published),
 * the rate multiplied by {@code (minLr / lr)^(1 / (steps - 1))} at each, so the last plateau runs at {@code minLr}.
 */
public final class StepSchedule implements LearningRateSchedule {
    private final double lr;
    private final double decay;
    private final double stepEpochs;

    public StepSchedule(double lr, double minLr, int epochs) {
        this(lr, minLr, epochs, 10);
    }

    public StepSchedule(double lr, double minLr, int epochs, int steps) {
        if (steps < 2) {
            throw new IllegalArgumentException("step decay needs at least 2 steps, got " + steps);
        }
        this.lr = lr;
        this.decay = Math.pow(minLr / lr, 1.0 / (steps - 1));
        this.stepEpochs = (double) epochs / steps;
        if (stepEpochs < 1) {
            throw new IllegalArgumentException("step decay over " + epochs + " epochs in " + steps
                    + " steps gives plateaus shorter than one epoch; train at least " + steps + " epochs");
        }
    }

    @Override
    public double learningRate(int epoch) {
        return lr * Math.pow(decay, Math.floor(epoch / stepEpochs));
    }
}
