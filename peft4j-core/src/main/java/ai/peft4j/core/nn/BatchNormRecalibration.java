package ai.peft4j.core.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Re-estimates the running statistics of a model's BatchNorm layers for its current weights ("precise BN"): the
 * running mean and variance kept during training are moving averages over many past weights, so after a weight
 * change they describe another network, and eval mode (validation, test, deployment) scores that one. Here the
 * model runs a number of training batches forward in training mode, no gradients, and each layer's running mean
 * and variance become the plain average of the batches' means and (unbiased) variances, as PyTorch's cumulative
 * average ({@code momentum=None}) computes them.
 *
 * <p>Only layers that train update: a layer held in eval mode ({@link Module#holdEval}, a frozen base under a
 * parameter-efficient method) keeps its statistics. The model's mode and each layer's momentum are restored.
 */
public final class BatchNormRecalibration {
    private BatchNormRecalibration() {
    }

    /** The model's BatchNorm layers that update their statistics in training mode (none held in eval). */
    public static List<BatchNorm2d> updatingLayers(Module model) {
        List<BatchNorm2d> out = new ArrayList<>();
        for (Module m : model.namedModules().values()) {
            if (m instanceof BatchNorm2d bn && !bn.isHeldInEval()) {
                out.add(bn);
            }
        }
        return out;
    }

    /**
     * Feeds at most {@code batches} batches through the model in training mode and sets the running statistics of
     * its updating BatchNorm layers to their averages over these batches.
     *
     * @param forwardNext runs the model's forward on the next batch (no gradients recorded) and returns true, or
     *     returns false when there is no batch left
     * @return how many batches were fed
     * @throws IllegalArgumentException when {@code batches} is below 1 or no BatchNorm layer updates
     */
    public static int recalibrate(Module model, int batches, BooleanSupplier forwardNext) {
        if (batches < 1) {
            throw new IllegalArgumentException("BatchNorm recalibration needs at least 1 batch, got " + batches);
        }
        List<BatchNorm2d> layers = updatingLayers(model);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("BatchNorm recalibration: the model has no BatchNorm layer whose "
                    + "statistics update (none at all, or all held frozen)");
        }
        boolean wasTraining = model.isTraining();
        float[] momenta = new float[layers.size()];
        for (int i = 0; i < momenta.length; i++) {
            momenta[i] = layers.get(i).momentum();
        }
        int fed = 0;
        model.train(true);
        try {
            while (fed < batches) {
                float m = 1f / (fed + 1);
                for (BatchNorm2d bn : layers) {
                    bn.setMomentum(m);
                }
                if (!forwardNext.getAsBoolean()) {
                    break;
                }
                fed++;
            }
        } finally {
            for (int i = 0; i < momenta.length; i++) {
                layers.get(i).setMomentum(momenta[i]);
            }
            model.train(wasTraining);
        }
        return fed;
    }
}
