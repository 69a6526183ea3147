package ai.peft4j.train.schedule;

/**
 * YOLOX's warm-up cosine as TP-LoRA applies it per epoch ({@code lr_decay_type = 'cos'}). With {@code E} epochs:
 * a warm-up of {@code W = min(max(0.05 E, 1), 3)} epochs rising quadratically from {@code max(0.1 lr, 1e-6)}
 * (epoch {@code e <= W}: {@code start + (lr - start) (e / W)^2}); the last {@code L = min(max(0.05 E, 1), 15)}
 * epochs ({@code e >= E - L}) at {@code minLr}; a half cosine from {@code lr} to {@code minLr} between. W and L
 * may be fractional, as in the published code.
 */
public final class WarmupCosineSchedule implements LearningRateSchedule {
    private final double lr;
    private final double minLr;
    private final int epochs;
    private final double warmupEpochs;
    private final double warmupStart;
    private final double flatEpochs;

    public WarmupCosineSchedule(double lr, double minLr, int epochs) {
        this(lr, minLr, epochs, 0.05, 0.1, 0.05);
    }

    /**
     * @param warmupRatio share of epochs for warm-up (capped at 3 epochs, at least 1)
     * @param warmupLrRatio the warm-up start as a share of {@code lr} (at least 1e-6)
     * @param flatRatio share of epochs held at {@code minLr} at the end (capped at 15, at least 1)
     */
    public WarmupCosineSchedule(double lr, double minLr, int epochs, double warmupRatio, double warmupLrRatio,
            double flatRatio) {
        if (epochs < 1) {
            throw new IllegalArgumentException("a schedule needs at least one epoch, got " + epochs);
        }
        this.lr = lr;
        this.minLr = minLr;
        this.epochs = epochs;
        this.warmupEpochs = Math.min(Math.max(warmupRatio * epochs, 1), 3);
        this.warmupStart = Math.max(warmupLrRatio * lr, 1e-6);
        this.flatEpochs = Math.min(Math.max(flatRatio * epochs, 1), 15);
    }

    @Override
    public double learningRate(int epoch) {
        if (epoch <= warmupEpochs) {
            double f = epoch / warmupEpochs;
            return (lr - warmupStart) * f * f + warmupStart;
        }
        if (epoch >= epochs - flatEpochs) {
            return minLr;
        }
        double progress = (epoch - warmupEpochs) / (epochs - warmupEpochs - flatEpochs);
        return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
    }
}
