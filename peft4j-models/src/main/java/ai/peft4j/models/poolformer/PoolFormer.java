package ai.peft4j.models.poolformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.GroupNorm;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.models.FeatureBackbone;
import java.util.ArrayList;
import java.util.List;

/**
 * PoolFormer as a dense-prediction backbone ({@code fork_feat=True}): a 7x7 stride-4 stem, four stages of
 * {@link PoolFormerBlock}s with stride-2 embeddings between them ({@code network.0} ... {@code network.6}), and a
 * one-group GroupNorm on each stage output ({@code norm0}, {@code norm2}, {@code norm4}, {@code norm6}).
 */
public class PoolFormer extends Module implements FeatureBackbone {
    private final PoolFormerConfig config;

    public PoolFormer(NDManager manager, PoolFormerConfig config) {
        this.config = config;
        int[] dims = config.embedDims();
        registerModule("patch_embed", new PatchEmbed(manager, 7, 4, 2, 3, dims[0]));
        ModuleList<Module> network = new ModuleList<>(Module.class);
        int total = config.totalBlocks();
        int before = 0;
        for (int i = 0; i < 4; i++) {
            Sequential stage = new Sequential();
            for (int b = 0; b < config.layers()[i]; b++) {
                float dpr = total > 1 ? config.dropPathRate() * (b + before) / (total - 1) : 0f;
                stage.add(new PoolFormerBlock(manager, dims[i], config.poolSize(), config.mlpRatio(), 0f, dpr,
                        config.layerScaleInit()));
            }
            before += config.layers()[i];
            network.add(stage);
            if (i < 3) {
                network.add(new PatchEmbed(manager, 3, 2, 1, dims[i], dims[i + 1]));
            }
        }
        registerModule("network", network);
        for (int i = 0; i < 4; i++) {
            registerModule("norm" + 2 * i, new GroupNorm(manager, 1, dims[i]));
        }
    }

    public PoolFormerConfig config() {
        return config;
    }

    @Override
    public int[] featureChannels() {
        return config.embedDims();
    }

    @Override
    public List<NDArray> features(NDArray images) {
        if (images.getShape().dimension() != 4 || images.getShape().get(1) != 3) {
            throw new IllegalArgumentException("PoolFormer takes images [B, 3, H, W], got " + images.getShape());
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
