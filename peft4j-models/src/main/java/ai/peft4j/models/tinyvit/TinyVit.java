package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.LayerNorm2d;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import java.util.ArrayList;
import java.util.List;

/**
 * TinyViT as MobileSAM's image encoder: {@code patch_embed} (two stride-2 Conv-BN with GELU between, to 1/4), four
 * {@code layers} (MBConv, then TinyViT blocks), and SAM's {@code neck} on the 1/16 map. {@code norm_head} and
 * {@code head} are kept for the state dict (checkpoints hold them) but, as published, never run.
 */
public class TinyVit extends Module implements Layer {
    private final TinyVitConfig config;

    public TinyVit(NDManager manager, TinyVitConfig config) {
        this.config = config;
        List<Integer> dims = config.embedDims();
        registerModule("patch_embed", new Stem(manager, dims.get(0)));
        ModuleList<TinyVitStage> layers = new ModuleList<>(TinyVitStage.class);
        for (int i = 0; i < 4; i++) {
            int dim = dims.get(i);
            int res = config.resolution(i);
            ModuleList<Module> blocks = new ModuleList<>(Module.class);
            for (int j = 0; j < config.depths().get(i); j++) {
                blocks.add(i == 0 ? new MbConv(manager, dim, config.mbconvExpandRatio())
                        : new TinyVitBlock(manager, dim, res, config.heads().get(i), config.windowSizes().get(i),
                                config.mlpRatio(), config.localConvSize()));
            }
            PatchMerging down = i < 3 ? new PatchMerging(manager, res, dim, dims.get(i + 1)) : null;
            layers.add(new TinyVitStage(blocks, down));
        }
        registerModule("layers", layers);
        int last = dims.get(3);
        registerModule("norm_head", new LayerNorm(manager, last));
        registerModule("head", new Linear(manager, last, config.numClasses(), true));
        int neck = config.neckChannels();
        registerModule("neck", new Sequential(
                new Conv2d(manager, last, neck, 1, 1, 0, 1, false),
                new LayerNorm2d(manager, neck),
                new Conv2d(manager, neck, neck, 3, 1, 1, 1, false),
                new LayerNorm2d(manager, neck)));
    }

    public TinyVitConfig config() {
        return config;
    }

    /** The image embedding {@code [B, neck, S / 16, S / 16]}. */
    @Override
    public NDArray forward(NDArray images) {
        NDArray x = call("patch_embed", images);
        @SuppressWarnings("unchecked")
        ModuleList<TinyVitStage> layers = (ModuleList<TinyVitStage>) child("layers");
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x);
        }
        return neck(x);
    }

    /**
     * The maps the published fixtures store, in order: {@code patch_embed} (NCHW), then per stage the output of its
     * first block (stages 1-3, tokens) and of the stage (stages 0-2, after patch merging).
     */
    public List<NDArray> trunk(NDArray images) {
        List<NDArray> out = new ArrayList<>();
        NDArray x = call("patch_embed", images);
        out.add(x);
        @SuppressWarnings("unchecked")
        ModuleList<TinyVitStage> layers = (ModuleList<TinyVitStage>) child("layers");
        for (int i = 0; i < layers.size(); i++) {
            TinyVitStage stage = layers.get(i);
            if (i > 0) {
                out.add(((Layer) stage.blocks().get(0)).forward(x));
            }
            x = stage.forward(x);
            if (i < 3) {
                out.add(x);
            }
        }
        return out;
    }

    /** The neck on the last stage's tokens {@code [B, (S/16)^2, C]}. */
    public NDArray neck(NDArray tokens) {
        long b = tokens.getShape().get(0);
        long side = config.imageSize() / 16;
        return call("neck", tokens.reshape(b, side, side, -1).transpose(0, 3, 1, 2));
    }

    /** {@code PatchEmbed}: Conv-BN 3 -> C/2 (k3, s2), GELU, Conv-BN -> C (k3, s2), as {@code seq.0..2}. */
    static final class Stem extends Module implements Layer {
        Stem(NDManager manager, int dim) {
            registerModule("seq", new Sequential(new ConvBn(manager, 3, dim / 2, 3, 2, 1, 1), Activation.gelu(),
                    new ConvBn(manager, dim / 2, dim, 3, 2, 1, 1)));
        }

        @Override
        public NDArray forward(NDArray x) {
            return call("seq", x);
        }
    }
}
