package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.models.FeatureBackbone;
import java.util.ArrayList;
import java.util.List;

/**
 * EfficientFormerV2 as a dense-prediction backbone ({@code fork_feat=True}): a two-convolution stride-4 stem
 * ({@code patch_embed}), four stages ({@code network.0, 2, 4, 6}) of {@link Ffn} blocks whose last
 * {@code vitNum} blocks in stages 3 and 4 are {@link AttnFfn}s, downsampling embeddings between them
 * ({@code network.1, 3, 5}; the last one with attention), and a BatchNorm on each stage output
 * ({@code norm0} ... {@code norm6}). GELU throughout, as the published S0 builder leaves the default.
 *
 * <p>The attention blocks' position biases fix the grid, so the model takes inputs of the configured resolution
 * (224 for the published S0).
 */
public class EfficientFormerV2 extends Module implements FeatureBackbone {
    private final EfficientFormerV2Config config;

    public EfficientFormerV2(NDManager manager, EfficientFormerV2Config config) {
        this.config = config;
        int[] w = config.widths();
        registerModule("patch_embed", new Sequential(
                new Conv2d(manager, 3, w[0] / 2, 3, 2, 1, 1, true), new BatchNorm2d(manager, w[0] / 2),
                Activation.gelu(),
                new Conv2d(manager, w[0] / 2, w[0], 3, 2, 1, 1, true), new BatchNorm2d(manager, w[0]),
                Activation.gelu()));
        ModuleList<Module> network = new ModuleList<>(Module.class);
        int total = config.totalBlocks();
        int before = 0;
        for (int i = 0; i < 4; i++) {
            int depth = config.depths()[i];
            Sequential stage = new Sequential();
            for (int b = 0; b < depth; b++) {
                float dpr = total > 1 ? config.dropPathRate() * (b + before) / (total - 1) : 0f;
                int ratio = config.expansionRatios()[i][b];
                if (i >= 2 && b > depth - 1 - config.vitNum()) {
                    stage.add(new AttnFfn(manager, w[i], ratio, 0f, dpr, config.layerScaleInit(),
                            config.stageResolution(i), i == 2 ? 2 : 1));
                } else {
                    stage.add(new Ffn(manager, w[i], ratio, 0f, dpr, config.layerScaleInit()));
                }
            }
            before += depth;
            network.add(stage);
            if (i < 3) {
                network.add(i >= 2 ? new AttentionEmbedding(manager, w[i], w[i + 1], config.stageResolution(i))
                        : new Embedding(manager, w[i], w[i + 1]));
            }
        }
        registerModule("network", network);
        for (int i = 0; i < 4; i++) {
            registerModule("norm" + 2 * i, new BatchNorm2d(manager, w[i]));
        }
    }

    public EfficientFormerV2Config config() {
        return config;
    }

    @Override
    public int[] featureChannels() {
        return config.widths();
    }

    @Override
    public List<NDArray> features(NDArray images) {
        long h = images.getShape().get(2);
        long w = images.getShape().get(3);
        if (images.getShape().dimension() != 4 || images.getShape().get(1) != 3 || h != config.resolution()
                || w != config.resolution()) {
            throw new IllegalArgumentException("EfficientFormerV2 is built for images [B, 3, " + config.resolution()
                    + ", " + config.resolution() + "] (its attention position biases fix the size), got "
                    + images.getShape());
        }
        NDArray x = call("patch_embed", images);
        @SuppressWarnings("unchecked")
        ModuleList<Module> network = (ModuleList<Module>) child("network");
        List<NDArray> outs = new ArrayList<>(4);
        for (int i = 0; i < network.size(); i++) {
            Module stage = network.get(i);
            x = call(stage, x, ((Layer) stage)::forward);
            if (i % 2 == 0) {
                outs.add(call("norm" + i, x));
            }
        }
        return outs;
    }
}
