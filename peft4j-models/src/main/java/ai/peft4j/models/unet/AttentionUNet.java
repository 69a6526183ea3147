package ai.peft4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import java.util.List;

/**
 * What the Attention U-Net decoders of TP-LoRA and FastSegFormer share: levels 4 (coarsest) to 1 named
 * {@code up<k>}, {@code Att<k>}, {@code convert<5-k>} and {@code conv<k>}. Children run through
 * {@link Module#call}, so hooks that fine-tuning methods put on them take part.
 */
public abstract class AttentionUNet extends Module implements Layer {
    /**
     * Registers the decoder, in the published order: the projections, the gates, {@code bottle}, the upsamplers,
     * the convolutions. Index {@code k} is level {@code k + 1} (finest first): its skip and decoder maps have
     * {@code filters[k]} channels ({@code filters[4]}: the bottleneck's), and its gated skip is projected to
     * {@code projected[k]}.
     */
    protected final void registerDecoder(NDManager manager, int[] projected, int[] filters, Module bottle) {
        for (int level = 4; level >= 1; level--) {
            registerModule("convert" + (5 - level), new Conv2d(manager, filters[level - 1], projected[level - 1], 1,
                    1, 0, 1, true));
        }
        for (int level = 4; level >= 1; level--) {
            int f = filters[level - 1];
            registerModule("Att" + level, new AttentionGate(manager, f, f, level > 1 ? filters[level - 2] : f / 2));
        }
        registerModule("bottle", bottle);
        for (int level = 4; level >= 1; level--) {
            registerModule("up" + level, new UpConv(manager, filters[level], filters[level - 1]));
        }
        for (int level = 4; level >= 1; level--) {
            int f = filters[level - 1];
            registerModule("conv" + level, new ConvBlock(manager, projected[level - 1] + f, f));
        }
        for (int level = 4; level >= 1; level--) {
            registerUnit("level" + level, "up" + level, "Att" + level, "convert" + (5 - level), "conv" + level);
        }
    }

    /**
     * One decoder level, the unit {@code level<k>}: upsample the map from the level below, gate the skip with it,
     * project the gated skip, concatenate {@code [upsampled, projected]} and convolve. Checkpointed as a unit
     * (pattern {@code level*}), a level keeps its two inputs instead of its full-resolution maps.
     */
    protected final NDArray decoderStep(int level, NDArray below, NDArray skip) {
        return callUnit("level" + level, List.of(below, skip), in -> {
            NDArray d = call("up" + level, in.get(0));
            NDArray e = call("convert" + (5 - level), ((AttentionGate) child("Att" + level)).forward(d, in.get(1)));
            return call("conv" + level, d.concat(e, 1));
        });
    }
}
