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
 * @param schedule {@code cos} (warm-up cosine per epoch), {@code step}, {@code constant}, {@code cos-step} (Hugging
 *     Face's warm-up cosine per optimiser step, as peft-vit trains) or {@code linear-step} (Hugging Face's linear
 *     decay to 0 per optimiser step, no warm-up, as the Florence-2 fine-tuning trains)
 * @param loss {@code ce}, {@code dice}, {@code focal}, {@code dice-present}, {@code topk-ce[:K]}, {@code lovasz},
 *     {@code lovasz-image} or a sum such as {@code ce+dice} (see {@code SegmentationLoss.parse})
 * @param valEvery validate every this many epochs (and after the last)
 * @param bestMetric what makes the best checkpoint: {@code miou} or {@code val_loss} (the published choice)
 * @param seed seeds initialisation, shuffling, augmentation and training
 * @param workers loading threads
 * @param augment the published training augmentation (random aspect, scale, flip, placement, HSV); false for the
 *     letterbox only
 * @param gradClip clip gradients to this global L2 norm; 0 for none (published)
 * @param checkpoint module and unit name patterns whose forward is recomputed during backward (activation
 *     checkpointing, e.g. {@code "*.blocks.*"} for every Swin block, {@code "level*"} for every U-Net decoder
 *     level): less memory for about a third more time per step
 * @param freeIntermediates free each module's intermediate arrays as soon as it returns (same gradients)
 * @param microBatch run each batch's forward and backward in parts of this many images whose gradients add up
 *     (gradient accumulation): a step holds one part's activations. The update is the whole batch's when the loss
 *     averages over images and no BatchNorm statistics train; otherwise BatchNorm sees each part's statistics and
 *     Dice each part's pixels. 0 (default) for the whole batch at once
 * @param bnRecalibrate before each validation and after the last epoch, set the running statistics of the
 *     BatchNorm layers that train (full fine-tuning, training from scratch, a method with {@code bn_stats: update})
 *     to their averages over this many training batches run forward without gradients ("precise BN"), so that
 *     eval mode scores the network the final weights make; 0 for off (published)
 * @param classWeights segmentation: one cross-entropy weight per class (also for focal and top-k cross-entropy;
 *     Dice terms are unweighted), e.g. {@code [1, 10, 10]} to count each defect pixel ten times; empty for all ones
 *     (published). A weighted network over-calls the weighted classes: their scores carry the weights' prior
 */
public record TrainingSection(int epochs, int batch, String optimizer, double lr, Double minLr, double weightDecay,
        double momentum, String schedule, String loss, int valEvery, String bestMetric, long seed, int workers,
        boolean augment, double gradClip, List<String> checkpoint, boolean freeIntermediates,
        int bnRecalibrate, int microBatch, List<Double> classWeights) {
    public static final List<String> BEST_METRICS = List.of("miou", "val_loss");
    public static final List<String> OPTIMIZERS = List.of("adam", "adamw", "sgd");
    public static final List<String> SCHEDULES = List.of("cos", "cosine", "step", "constant", "cos-step",
            "linear-step");

    public TrainingSection {
        atLeastOne("training.epochs", epochs);
        atLeastOne("training.batch", batch);
        atLeastOne("training.val_every", valEvery);
        atLeastOne("training.workers", workers);
        bestMetric = bestMetric == null ? "miou" : bestMetric.toLowerCase(Locale.ROOT);
        if (!BEST_METRICS.contains(bestMetric)) {
            throw new SettingException("training.best_metric", "training.best_metric must be miou or val_loss, got '"
                    + bestMetric + "'");
        }
        optimizer = optimizer == null ? "" : optimizer.toLowerCase(Locale.ROOT);
        if (!OPTIMIZERS.contains(optimizer)) {
            throw new SettingException("training.optimizer", "training.optimizer must be one of "
                    + String.join(", ", OPTIMIZERS) + ", got '" + optimizer + "'");
        }
        schedule = schedule == null ? "" : schedule.toLowerCase(Locale.ROOT);
        if (!SCHEDULES.contains(schedule)) {
            throw new SettingException("training.schedule", "training.schedule must be one of "
                    + String.join(", ", SCHEDULES) + ", got '" + schedule + "'");
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new SettingException("training.lr", "training.lr must be a positive number, got " + lr
                    + " (the published Adam runs use 1e-4 to 2e-3)");
        }
        if (minLr != null && (!(minLr >= 0) || minLr > lr)) {
            throw new SettingException("training.min_lr", "training.min_lr must be between 0 and training.lr ("
                    + lr + "), got " + minLr + "; leave it empty for a hundredth of training.lr");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new SettingException("training.weight_decay", "training.weight_decay must be 0 or positive, got "
                    + weightDecay);
        }
        // Adam's beta1 and SGD's momentum both average past gradients: 1 or more never forgets, and grows.
        if (!(momentum >= 0 && momentum < 1)) {
            throw new SettingException("training.momentum", "training.momentum must be at least 0 and below 1 ("
                    + (optimizer.equals("sgd") ? "SGD's momentum" : "Adam's beta1") + "), got " + momentum);
        }
        checkpoint = checkpoint == null ? List.of() : List.copyOf(checkpoint);
        for (String pattern : checkpoint) {
            if (pattern == null || pattern.isBlank()) {
                throw new SettingException("training.checkpoint", "training.checkpoint holds an empty pattern; list "
                        + "module names or globs such as \"*.blocks.*\"");
            }
        }
        classWeights = classWeights == null ? List.of() : List.copyOf(classWeights);
        for (Double w : classWeights) {
            if (w == null || !(w > 0) || Double.isInfinite(w)) {
                throw new SettingException("training.class_weights", "training.class_weights must be positive "
                        + "numbers, one per class (e.g. [1, 10, 10]), got " + classWeights);
            }
        }
        if (microBatch < 0) {
            throw new SettingException("training.micro_batch", "training.micro_batch must be 0 (the whole batch at "
                    + "once) or a number of images per part, got " + microBatch);
        }
        if (bnRecalibrate < 0) {
            throw new SettingException("training.bn_recalibrate", "training.bn_recalibrate must be 0 (off) or a "
                    + "number of training batches, got " + bnRecalibrate);
        }
        if (!(gradClip >= 0) || Double.isInfinite(gradClip)) {
            throw new SettingException("training.grad_clip", "training.grad_clip must be 0 (off) or a positive "
                    + "gradient norm, got " + gradClip);
        }
    }

    private static void atLeastOne(String key, int value) {
        if (value < 1) {
            throw new SettingException(key, key + " must be at least 1, got " + value);
        }
    }
}
