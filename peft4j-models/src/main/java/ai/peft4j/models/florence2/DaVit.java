package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import java.util.ArrayList;
import java.util.List;

/**
 * DaViT, the dual-attention vision transformer Florence-2 uses as {@code vision_tower}: per stage a convolutional
 * embedding ({@code convs.i}) and pairs of spatial and channel blocks ({@code blocks.i.j.spatial_block},
 * {@code blocks.i.j.channel_block}). Florence-2 keeps no classification head or final norm, so neither exists here.
 */
public class DaVit extends Module {
    private final DaVitConfig config;

    public DaVit(NDManager manager, DaVitConfig config) {
        this.config = config;
        ModuleList<ConvEmbed> convs = new ModuleList<>(ConvEmbed.class);
        ModuleList<Sequential> blocks = new ModuleList<>(Sequential.class);
        for (int i = 0; i < config.stages(); i++) {
            int dim = config.dims().get(i);
            convs.add(new ConvEmbed(manager, i == 0 ? 3 : config.dims().get(i - 1), dim, config.patchSize().get(i),
                    config.patchStride().get(i), config.patchPadding().get(i), config.patchPrenorm().get(i)));
            Sequential stage = new Sequential();
            for (int j = 0; j < config.depths().get(i); j++) {
                stage.add(new Pair(manager, dim, config.heads().get(i), config.groups().get(i),
                        config.windowSize(), config.mlpRatio()));
            }
            blocks.add(stage);
        }
        registerModule("convs", convs);
        registerModule("blocks", blocks);
    }

    public DaVitConfig config() {
        return config;
    }

    /** The last stage's token map {@code [B, H/32, W/32, C]} of an image {@code [B, 3, H, W]}. */
    public NDArray forward(NDArray image) {
        List<NDArray> stages = forwardStages(image, false);
        return stages.get(stages.size() - 1);
    }

    /**
     * Every stage's maps {@code [B, H_i, W_i, C_i]}: with {@code embeddings} true the convolutional embedding's and
     * the blocks' output of each stage in turn, else the blocks' outputs only.
     */
    public List<NDArray> forwardStages(NDArray image, boolean embeddings) {
        List<NDArray> out = new ArrayList<>();
        NDArray x = image;
        Module convs = child("convs");
        Module blocks = child("blocks");
        for (int i = 0; i < config.stages(); i++) {
            ConvEmbed conv = (ConvEmbed) convs.child(Integer.toString(i));
            x = conv.forward(x, i > 0);
            if (embeddings) {
                out.add(x);
            }
            x = ((Layer) blocks.child(Integer.toString(i))).forward(x);
            out.add(x);
        }
        return out;
    }

    /** A spatial block followed by a channel block ({@code spatial_block}, {@code channel_block}). */
    public static final class Pair extends Module implements Layer {
        Pair(NDManager manager, int dim, int heads, int groups, int window, float mlpRatio) {
            registerModule("spatial_block", DaVitBlock.spatial(manager, dim, heads, window, mlpRatio));
            registerModule("channel_block", DaVitBlock.channel(manager, dim, groups, mlpRatio));
        }

        @Override
        public NDArray forward(NDArray x) {
            return call("channel_block", call("spatial_block", x));
        }
    }
}
