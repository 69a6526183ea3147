package ai.peft4j.train.loop;

import ai.peft4j.core.nn.Parameter;
import ai.peft4j.train.loss.SegmentationLoss;
import ai.peft4j.train.optim.Adam;
import ai.peft4j.train.optim.AdamW;
import ai.peft4j.train.optim.Optimizer;
import ai.peft4j.train.optim.Sgd;
import ai.peft4j.train.schedule.LearningRateSchedule;
import ai.peft4j.train.schedule.PerStepSchedule;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How to train, as an immutable value; the defaults are the published TP-LoRA settings (Adam with betas
 * (0.9, 0.999) and no weight decay, lr 1e-4 to 1e-6 on the warm-up cosine, cross-entropy, validation every 10
 * epochs), except that the best checkpoint is chosen by mIoU (set {@link BestBy#VAL_LOSS} for the published
 * choice). It is saved in every checkpoint, and a run resumes only with the same configuration.
 *
 * @param epochs epochs to train in all
 * @param numClasses classes, background included; label {@code numClasses} is ignored
 * @param optimizer {@code adam}, {@code adamw} or {@code sgd}
 * @param momentum Adam's beta1, or SGD's momentum
 * @param nesterov Nesterov momentum for SGD (the published SGD uses it)
 * @param schedule {@code cos}, {@code step} or {@code constant} (per epoch), or {@code cos-step} or
 *     {@code linear-step} (per optimiser step, {@link PerStepSchedule})
 * @param loss a name of {@link SegmentationLoss#parse}: {@code ce}, {@code focal}, {@code dice},
 *     {@code dice-present}, {@code topk-ce[:K]}, {@code lovasz}, {@code lovasz-image}, or a sum such as
 *     {@code ce+dice}
 * @param classWeights per-class loss weights, or an empty list for all ones
 * @param evalPeriod validate every this many epochs, and after the last
 * @param gradClipNorm clip gradients to this global L2 norm; 0 for no clipping (published)
 * @param seed seeds initialisation-independent randomness: each epoch reseeds the engine from it
 * @param bnRecalibrate before each validation and after the last epoch, re-estimate the running statistics of
 *     the BatchNorm layers that train from this many training batches
 *     (see {@link ai.peft4j.core.nn.BatchNormRecalibration}); 0 keeps the moving averages of training (published).
 *     Left out of the JSON when 0, so checkpoints written before the option resume.
 */
public record TrainerConfig(int epochs, int numClasses, String optimizer, double learningRate,
        double minLearningRate, double weightDecay, double momentum, double beta2, boolean nesterov,
        String schedule, String loss, List<Double> classWeights, int evalPeriod, BestBy bestBy,
        double gradClipNorm, long seed, @JsonInclude(JsonInclude.Include.NON_DEFAULT) int bnRecalibrate) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public TrainerConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        if (!(learningRate > 0) || !(minLearningRate >= 0)) {
            throw new IllegalArgumentException("learning rates must be positive, got " + learningRate + " and "
                    + minLearningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be 0 or positive, got " + weightDecay);
        }
        // Averages of past gradients that forget nothing (1) or grow (above 1) diverge.
        if (!(momentum >= 0 && momentum < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("momentum (Adam's beta1) and beta2 must be at least 0 and below 1, got "
                    + momentum + " and " + beta2);
        }
        if (evalPeriod < 1) {
            throw new IllegalArgumentException("evalPeriod must be at least 1, got " + evalPeriod);
        }
        if (bnRecalibrate < 0) {
            throw new IllegalArgumentException("bn_recalibrate must be 0 (off) or a number of batches, got "
                    + bnRecalibrate);
        }
        if (gradClipNorm < 0) {
            throw new IllegalArgumentException("gradClipNorm must be 0 (off) or positive, got " + gradClipNorm);
        }
        optimizer = optimizer.toLowerCase(Locale.ROOT);
        classWeights = classWeights == null ? List.of() : List.copyOf(classWeights);
        if (!classWeights.isEmpty() && classWeights.size() != numClasses) {
            throw new IllegalArgumentException(classWeights.size() + " class weights for " + numClasses
                    + " classes");
        }
        // Fail on a bad name or an impossible schedule now rather than at the first epoch.
        LearningRateSchedule.of(schedule, learningRate, minLearningRate, epochs);
        SegmentationLoss.parse(loss, numClasses, null);
        if (!List.of("adam", "adamw", "sgd").contains(optimizer)) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "' (known: adam, adamw, sgd)");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder with these values, to change some. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.numClasses = numClasses;
        b.optimizer = optimizer;
        b.learningRate = learningRate;
        b.minLearningRate = minLearningRate;
        b.weightDecay = weightDecay;
        b.momentum = momentum;
        b.beta2 = beta2;
        b.nesterov = nesterov;
        b.schedule = schedule;
        b.loss = loss;
        b.classWeights = classWeights;
        b.evalPeriod = evalPeriod;
        b.bestBy = bestBy;
        b.gradClipNorm = gradClipNorm;
        b.seed = seed;
        b.bnRecalibrate = bnRecalibrate;
        return b;
    }

    /** The optimiser this configuration names, over the trainable ones among {@code parameters}. */
    public Optimizer newOptimizer(Map<String, Parameter> parameters) {
        switch (optimizer) {
            case "adam":
                return new Adam(parameters, learningRate, momentum, beta2, 1e-8, weightDecay);
            case "adamw":
                return new AdamW(parameters, learningRate, momentum, beta2, 1e-8, weightDecay);
            default:
                return new Sgd(parameters, learningRate, momentum, 0, weightDecay, nesterov);
        }
    }

    /** Whether the learning rate is set per step ({@code cos-step}, {@code linear-step}) rather than per epoch. */
    public boolean perStepSchedule() {
        return PerStepSchedule.isPerStep(schedule);
    }

    /**
     * The per-step schedule over {@code epochs} epochs of {@code batchesPerEpoch} steps, for a schedule that
     * {@link #perStepSchedule()} says is one.
     */
    public PerStepSchedule stepSchedule(int batchesPerEpoch) {
        return PerStepSchedule.named(schedule, learningRate, (long) batchesPerEpoch * epochs);
    }

    /** The learning-rate schedule over {@code totalEpochs}. */
    public LearningRateSchedule schedule(int totalEpochs) {
        return LearningRateSchedule.of(schedule, learningRate, minLearningRate, totalEpochs);
    }

    public SegmentationLoss newLoss() {
        float[] w = null;
        if (!classWeights.isEmpty()) {
            w = new float[numClasses];
            for (int i = 0; i < numClasses; i++) {
                w[i] = classWeights.get(i).floatValue();
            }
        }
        return SegmentationLoss.parse(loss, numClasses, w);
    }

    /** The configuration as JSON, as checkpoints keep it. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Settings in DJL's style: {@code setX} for what is required, {@code optX} for the rest. */
    public static final class Builder {
        private int epochs;
        private int numClasses;
        private String optimizer = "adam";
        private double learningRate = 1e-4;
        private Double minLearningRate;
        private double weightDecay;
        private double momentum = 0.9;
        private double beta2 = 0.999;
        private boolean nesterov = true;
        private String schedule = "cos";
        private String loss = "ce";
        private List<Double> classWeights = List.of();
        private int evalPeriod = 10;
        private BestBy bestBy = BestBy.MIOU;
        private double gradClipNorm;
        private long seed;
        private int bnRecalibrate;

        public Builder setEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder setNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        public Builder optOptimizer(String optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /** The initial rate; the minimum defaults to a hundredth of it, as published. */
        public Builder optLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder optMinLearningRate(double minLearningRate) {
            this.minLearningRate = minLearningRate;
            return this;
        }

        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder optMomentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder optBeta2(double beta2) {
            this.beta2 = beta2;
            return this;
        }

        public Builder optNesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        public Builder optSchedule(String schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder optLoss(String loss) {
            this.loss = loss;
            return this;
        }

        public Builder optClassWeights(List<Double> classWeights) {
            this.classWeights = classWeights;
            return this;
        }

        public Builder optEvalPeriod(int evalPeriod) {
            this.evalPeriod = evalPeriod;
            return this;
        }

        public Builder optBestBy(BestBy bestBy) {
            this.bestBy = bestBy;
            return this;
        }

        public Builder optGradClipNorm(double gradClipNorm) {
            this.gradClipNorm = gradClipNorm;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Re-estimate BatchNorm statistics from this many training batches before each validation; 0 for off. */
        public Builder optBnRecalibrate(int bnRecalibrate) {
            this.bnRecalibrate = bnRecalibrate;
            return this;
        }

        public TrainerConfig build() {
            double min = minLearningRate != null ? minLearningRate : learningRate * 0.01;
            return new TrainerConfig(epochs, numClasses, optimizer, learningRate, min, weightDecay, momentum, beta2,
                    nesterov, schedule, loss, classWeights, evalPeriod, bestBy, gradClipNorm, seed, bnRecalibrate);
        }
    }
}
