package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.nn.UpsampleBilinear;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.models.FeatureBackbone;
import ai.peft4j.models.efficientformer.EfficientFormerV2;
import ai.peft4j.models.efficientformer.EfficientFormerV2Config;
import ai.peft4j.models.poolformer.PoolFormer;
import ai.peft4j.models.poolformer.PoolFormerConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * FastSegFormer, the published real-time segmenter: a transformer-style backbone ({@code common_backbone}) gives
 * maps at 1/4 ... 1/32; the 1/32 map is narrowed ({@code convert_channel}), refined by inverted residuals and a
 * pyramid ({@code global_feature}), fused into the 1/8 map ({@code FFM}) and classified ({@code classify}).
 * Without the reconstruction branch the logits are enlarged to the input size; with it ({@code cnn1},
 * {@code cnn2}, {@code cnn_up}) the head's 32 features are enlarged to 112x112, added to a convolution of the
 * image resized to 112x112, refined and enlarged x2, so the output is always 224x224 as published.
 * Every bilinear resize aligns corners, as in the published code.
 */
public class FastSegFormer extends Module implements Layer {
    private final FastSegFormerConfig config;

    public FastSegFormer(NDManager manager, FastSegFormerConfig config) {
        this.config = config;
        int classes = config.numClasses();
        int branch = FastSegFormerConfig.BRANCH_CHANNELS;
        if (config.reconstructionBranch()) {
            registerModule("cnn1", new Sequential(new Conv2d(manager, 3, branch, 3, 1, 1, 1, false),
                    new BatchNorm2d(manager, branch)));
            registerModule("cnn2", new DsConv(manager, branch, branch, 1));
            registerModule("cnn_up", new Sequential(new UpsampleBilinear(2, true),
                    new Conv2d(manager, branch, classes, 1, 1, 0, 1, true)));
        }
        int headOut = config.reconstructionBranch() ? branch : classes;
        switch (config.backbone()) {
            case POOLFORMER_S12 -> {
                registerModule("common_backbone", new PoolFormer(manager, PoolFormerConfig.s12()));
                registerModule("convert_channel", ConvBnRelu.pointwise(manager, 512, 256));
                registerModule("global_feature", new GlobalFeatureExtractor(manager, 256, new int[] {256}, 512, 3,
                        new int[] {2}, config.pyramid()));
                registerModule("FFM", new FeatureFusionModule(manager, 128, 512, 512));
                registerModule("classify", new Classifier(manager, 512, headOut));
            }
            case EFFICIENTFORMER_V2_S0 -> {
                registerModule("common_backbone", new EfficientFormerV2(manager, EfficientFormerV2Config.s0()));
                registerModule("convert_channel", ConvBnRelu.pointwise(manager, 176, 128));
                registerModule("global_feature", new GlobalFeatureExtractor(manager, 128, new int[] {128, 160}, 320,
                        3, new int[] {3, 3}, config.pyramid()));
                registerModule("FFM", new FeatureFusionModule(manager, 48, 320, 320));
                registerModule("classify", new Classifier(manager, 320, headOut));
            }
            default -> throw new IllegalStateException(config.backbone().toString());
        }
    }

    public FastSegFormerConfig config() {
        return config;
    }

    public FeatureBackbone backbone() {
        return (FeatureBackbone) child("common_backbone");
    }

    /** Freezes the backbone, as the published {@code freeze_backbone()} does for the first training phase. */
    public int freezeBackbone() {
        return freeze("common_backbone.*");
    }

    public int unfreezeBackbone() {
        return unfreeze("common_backbone.*");
    }

    /** Logits {@code [B, classes, 224, 224]} with the reconstruction branch, else at the input size. */
    @Override
    public NDArray forward(NDArray images) {
        List<NDArray> maps = forkFeatures(images);
        return maps.get(maps.size() - 1);
    }

    /**
     * The published {@code fork_feat=True} output, for distillation: the four backbone maps, the global features,
     * the fused map, the refined reconstruction map (with the branch only) and the logits, in that order.
     */
    public List<NDArray> forkFeatures(NDArray images) {
        if (images.getShape().dimension() != 4 || images.getShape().get(1) != 3) {
            throw new IllegalArgumentException("FastSegFormer takes images [B, 3, H, W], got " + images.getShape());
        }
        long h = images.getShape().get(2);
        long w = images.getShape().get(3);
        List<NDArray> out = new ArrayList<>(8);
        List<NDArray> feats = backbone().features(images);
        out.addAll(feats);
        NDArray global = call("global_feature", call("convert_channel", feats.get(3)));
        out.add(global);
        NDArray fused = ((FeatureFusionModule) child("FFM")).forward(feats.get(1), global);
        out.add(fused);
        NDArray y = call("classify", fused);
        if (config.reconstructionBranch()) {
            int side = FastSegFormerConfig.BRANCH_SIDE;
            NDArray half = Resize.bilinear(images, side, side, true);
            y = Resize.bilinear(y, side, side, true).add(call("cnn1", half));
            y = call("cnn2", y);
            out.add(y);
            y = call("cnn_up", y);
        } else {
            y = Resize.bilinear(y, h, w, true);
        }
        out.add(y);
        return out;
    }
}
