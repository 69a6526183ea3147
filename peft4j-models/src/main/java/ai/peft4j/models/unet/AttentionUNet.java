package ai.peft4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * What the Attention U-Net decoders of TP-LoRA and FastSegFormer share: levels 4 (coarsest) to 1 named
 * {@code up<k>}, {@code Att<k>}, {@code convert<5-k>} and {@code conv<k>}. Children run through
 * {@link Module#call}, so hooks that fine-tuning methods put on them take part.
 */
public abstract class AttentionUNet extends Module implements Layer {
    /**
     * One decoder level: upsample the map from the level below, gate the skip with it, project the gated skip,
     * concatenate {@code [upsampled, projected]} and convolve.
     */
    protected final NDArray decoderStep(int level, NDArray below, NDArray skip) {
        NDArray d = call("up" + level, below);
        NDArray e = call("convert" + (5 - level), ((AttentionGate) child("Att" + level)).forward(d, skip));
        return call("conv" + level, d.concat(e, 1));
    }
}
