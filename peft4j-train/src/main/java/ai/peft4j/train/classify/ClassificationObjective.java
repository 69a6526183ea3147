package ai.peft4j.train.classify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.data.Batch;
import ai.peft4j.train.loop.Objective;
import java.util.Random;

/**
 * Classification for the trainer: logits {@code [N, C]} of the images against one class id per image, with
 * cross-entropy on soft targets (label smoothing, MixUp and CutMix as options, published defaults 0). Validation
 * scores the plain cross-entropy, and the trainer's confusion matrix counts images, so its accuracy is top-1.
 */
public final class ClassificationObjective implements Objective {
    private final Layer model;
    private final int classes;
    private final double labelSmoothing;
    private final BatchMixing mixing;

    public ClassificationObjective(Layer model, int classes, double labelSmoothing) {
        this(model, classes, labelSmoothing, new BatchMixing(0, 0));
    }

    public ClassificationObjective(Layer model, int classes, double labelSmoothing, BatchMixing mixing) {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        }
        this.model = model;
        this.classes = classes;
        this.labelSmoothing = labelSmoothing;
        this.mixing = mixing;
    }

    @Override
    public NDArray loss(NDArray images, NDArray labels) {
        NDArray targets = SoftTargetCrossEntropy.targets(labels, classes, labelSmoothing);
        if (!mixing.isOff()) {
            // Drawn from the engine, which the trainer seeds per epoch, so a resumed run mixes as the first did.
            float[] u = images.getManager().randomUniform(0f, 1f, new Shape(2)).toFloatArray();
            long seed = (long) Float.floatToIntBits(u[0]) << 32 | Float.floatToIntBits(u[1]) & 0xFFFFFFFFL;
            NDArray[] mixed = mixing.apply(images, targets, new Random(seed));
            images = mixed[0];
            targets = mixed[1];
        }
        return SoftTargetCrossEntropy.loss(model.forward(images), targets);
    }

    @Override
    public NDArray logits(NDArray images) {
        return model.forward(images);
    }

    /** One class id per image, {@code [N]}. */
    @Override
    public NDArray labels(NDManager manager, Batch batch) {
        return manager.create(batch.masks(), new Shape(batch.size())).toType(DataType.INT32, false);
    }

    @Override
    public NDArray validationLoss(NDArray logits, NDArray labels) {
        return SoftTargetCrossEntropy.loss(logits, SoftTargetCrossEntropy.targets(labels, classes, 0));
    }
}
