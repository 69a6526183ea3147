package ai.peft4j.app.config;

import java.util.List;
import java.util.Locale;

/**
 * How to train; the defaults are the published TP-LoRA settings where there are any.
 *
 * @param epochs epochs in all (a rerun in the same output directory resumes until this many are done)
 * @param batch images per step
 * @param optimizer {@code adam}, {@code adamw} or {@code sgd}
 * @param lr initial learning rate
 * @param minLr final learning rate of the schedule; null for a hundredth of {@code lr}, as published
 * @param weightDecay weight decay (0 as published for Adam)
 * @param momentum Adam's beta1, or SGD's momentum
 * @param schedule {@code cos} (warm-up cosine), {@code step} or {@code constant}
 * @param loss {@code ce}, {@code dice}, {@code focal}, {@code dice-present}, {@code topk-ce[:K]}, {@code lovasz},
 *     {@code lovasz-image} or a sum such as {@code ce+dice} (see {@code SegmentationLoss.parse})
 * @param valEvery validate every this many epochs (and after the last)
 * @param bestMetric what makes the best checkpoint: {@code miou} or {@code val_loss} (the published choice)
 * @param seed seeds initialisation, shuffling, augmentation and training
 * @param workers loading threads
 * @param augment the published training augmentation (random aspect, scale, flip, placement, HSV); false for the
 *     letterbox only
 * @param gradClip clip gradients to this global L2 norm; 0 for none (published)
 */
public record TrainingSection(int epochs, int batch, String optimizer, double lr, Double minLr, double weightDecay,
        double momentum, String schedule, String loss, int valEvery, String bestMetric, long seed, int workers,
        boolean augment, double gradClip) {
    public static final List<String> BEST_METRICS = List.of("miou", "val_loss");

    public TrainingSection {
        if (epochs < 1) {
            throw new IllegalArgumentException("training.epochs must be at least 1, got " + epochs);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("training.batch must be at least 1, got " + batch);
        }
        if (valEvery < 1) {
            throw new IllegalArgumentException("training.val_every must be at least 1, got " + valEvery);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("training.workers must be at least 1, got " + workers);
        }
        bestMetric = bestMetric == null ? "miou" : bestMetric.toLowerCase(Locale.ROOT);
        if (!BEST_METRICS.contains(bestMetric)) {
            throw new IllegalArgumentException("training.best_metric must be miou or val_loss, got '" + bestMetric
                    + "'");
        }
    }
}
