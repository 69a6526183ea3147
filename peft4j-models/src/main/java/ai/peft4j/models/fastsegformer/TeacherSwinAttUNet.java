package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.MaxPool2d;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.nn.UpsampleBilinear;
import ai.peft4j.models.swin.SwinTransformer;
import ai.peft4j.models.unet.AttentionUNet;
import ai.peft4j.models.unet.ConvBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * The teacher of FastSegFormer's distillation: the Swin-T-Att-UNet of the FastSegFormer repository
 * ({@code nets/UNet/swinTS_Att_Unet.py}). It differs from TP-LoRA's {@link ai.peft4j.models.unet.SwinAttUNet}:
 * the bottleneck convolves the layer-normalised stage-4 map (768 channels, no bias), the three Swin skips are
 * stages 3, 2 and 1 projected by {@code change1..3}, the shallowest skip is a CNN on the half-size image
 * ({@code cnn_up}: max pool, two 3x3 blocks), and the logits come from a bilinear x2 enlargement (corners not
 * aligned) and a 3x3 convolution ({@code final_up_conv}).
 */
public class TeacherSwinAttUNet extends AttentionUNet {
    private final TeacherSwinAttUNetConfig config;

    public TeacherSwinAttUNet(NDManager manager, TeacherSwinAttUNetConfig config) {
        this.config = config;
        int e = config.backbone().embedDim();
        int base = config.base();
        int f0 = config.filters(0);
        int f1 = config.filters(1);
        int f2 = config.filters(2);
        int f3 = config.filters(3);
        int f4 = config.filters(4);
        registerModule("common_backbone", new SwinTransformer(manager, config.backbone()));
        registerDecoder(manager, new int[] {base, 2 * base, e, 2 * e}, new int[] {f0, f1, f2, f3, f4},
                new Sequential(new Conv2d(manager, 8 * e, f4, 3, 1, 1, 1, false), new BatchNorm2d(manager, f4),
                        Activation.relu()));
        registerModule("final_up_conv", new Sequential(new UpsampleBilinear(2, false),
                Conv2d.same(manager, f0, config.numClasses(), 3)));
        registerModule("cnn_up", new Sequential(new MaxPool2d(2), new ConvBlock(manager, 3, base)));
        registerModule("change1", pointwiseBnRelu(manager, 4 * e, f3));
        registerModule("change2", pointwiseBnRelu(manager, 2 * e, f2));
        registerModule("change3", pointwiseBnRelu(manager, e, f1));
    }

    private static Conv2d pointwise(NDManager manager, int in, int out) {
        return new Conv2d(manager, in, out, 1, 1, 0, 1, true);
    }

    private static Sequential pointwiseBnRelu(NDManager manager, int in, int out) {
        return new Sequential(pointwise(manager, in, out), new BatchNorm2d(manager, out), Activation.relu());
    }

    public TeacherSwinAttUNetConfig config() {
        return config;
    }

    public SwinTransformer backbone() {
        return (SwinTransformer) child("common_backbone");
    }

    /** Logits {@code [B, classes, H, W]} of images {@code [B, 3, H, W]}; H and W multiples of 32. */
    @Override
    public NDArray forward(NDArray images) {
        List<NDArray> maps = forkFeatures(images);
        return maps.get(maps.size() - 1);
    }

    /**
     * The published {@code fork_feat=True} output, for distillation: Swin stages 1-3, the normalised stage 4, the
     * bottleneck, the 1/8 decoder map {@code a3}, the half-resolution decoder map {@code a1} and the logits.
     */
    public List<NDArray> forkFeatures(NDArray images) {
        long h = images.getShape().get(2);
        long w = images.getShape().get(3);
        if (images.getShape().dimension() != 4 || images.getShape().get(1) != 3 || h % 32 != 0 || w % 32 != 0) {
            throw new IllegalArgumentException("the Swin-Att-UNet teacher takes images [B, 3, H, W] with H and W "
                    + "multiples of 32 (the decoder doubles 1/32-scale maps back up), got " + images.getShape());
        }
        NDArray x1 = call("cnn_up", images);
        List<NDArray> feats = backbone().featureMaps(images, 4);
        // The published backbone applies its final LayerNorm to the stage-4 tokens before they become a map.
        NDArray stage4 = ((Layer) backbone().child("norm")).forward(feats.get(3).transpose(0, 2, 3, 1))
                .transpose(0, 3, 1, 2);
        List<NDArray> out = new ArrayList<>(8);
        out.addAll(feats.subList(0, 3));
        out.add(stage4);
        NDArray bottle = call("bottle", stage4);
        out.add(bottle);

        NDArray a4 = decoderStep(4, bottle, call("change1", feats.get(2)));
        NDArray a3 = decoderStep(3, a4, call("change2", feats.get(1)));
        out.add(a3);
        NDArray a2 = decoderStep(2, a3, call("change3", feats.get(0)));
        NDArray a1 = decoderStep(1, a2, x1);
        out.add(a1);
        out.add(call("final_up_conv", a1));
        return out;
    }
}
