package ai.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.data.Batch;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.train.loss.SegmentationLoss;
import java.util.Map;

/**
 * What a training step minimises and how validation reads the model, so the trainer's loop (checkpoints, resume,
 * validation, progress, log) serves objectives other than a loss on the model's logits, such as distillation.
 */
public interface Objective {
    /** The scalar loss of one training batch; called while gradients are recorded. */
    NDArray loss(NDArray images, NDArray labels);

    /**
     * The model's logits for validation (no gradients needed): {@code [N, C, H, W]} at the labels' size for
     * segmentation, {@code [N, C]} for classification; their argmax over axis 1 is compared with the labels.
     */
    NDArray logits(NDArray images);

    /**
     * The validation logits when they depend on the labels too (a promptable model prompted from the ground-truth
     * masks); by default {@link #logits(NDArray)}.
     */
    default NDArray logits(NDArray images, NDArray labels) {
        return logits(images);
    }

    /** A batch's labels as {@link #loss} reads them: by default its masks, {@code [N, H, W]}. */
    default NDArray labels(NDManager manager, Batch batch) {
        return manager.create(batch.masks(), new Shape(batch.size(), batch.height(), batch.width()));
    }

    /** The validation loss of {@link #logits} against the labels, or null for the trainer's configured loss. */
    default NDArray validationLoss(NDArray logits, NDArray labels) {
        return null;
    }

    /**
     * One validation batch: its loss (null for the trainer's configured loss of {@code logits} against the labels)
     * and a prediction per element of the batch's masks, counted against them in the confusion matrix. By default
     * {@link #logits(NDArray, NDArray)} of the images, {@link #validationLoss}, and the logits' argmax over axis 1;
     * an objective whose model needs the labels to score a batch (teacher forcing) overrides it.
     */
    default Validation validate(NDArray images, NDArray labels) {
        NDArray logits = logits(images, labels);
        int[] predictions = logits.argMax(1).toType(DataType.INT32, false).toIntArray();
        return new Validation(logits, validationLoss(logits, labels), predictions);
    }

    /**
     * What {@link #validate} gives for one batch.
     *
     * @param logits what the configured loss reads when {@code loss} is null
     * @param loss the batch's loss, or null
     * @param predictions one class id per element of the batch's masks
     */
    record Validation(NDArray logits, NDArray loss, int[] predictions) {}

    /**
     * Modules trained together with the model, by name. Their parameters join the optimiser, and checkpoints keep
     * their state under {@code name + "/"} (a prefix no module path can take), so a resumed run restores them too.
     */
    default Map<String, Module> auxiliaryModules() {
        return Map.of();
    }

    /** The plain objective: {@code loss} of the model's logits against the labels. */
    static Objective supervised(Layer model, SegmentationLoss loss) {
        return new Objective() {
            @Override
            public NDArray loss(NDArray images, NDArray labels) {
                return loss.compute(model.forward(images), labels);
            }

            @Override
            public NDArray logits(NDArray images) {
                return model.forward(images);
            }
        };
    }
}
