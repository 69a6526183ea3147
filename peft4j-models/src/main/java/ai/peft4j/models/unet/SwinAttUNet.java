package ai.peft4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.MaxPool2d;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.models.swin.SwinTransformer;
import java.util.List;

/**
 * TP-LoRA's Swin-Att-UNet. A full-resolution CNN stem ({@code cnn1}, then {@code cnn2} at half resolution) gives
 * the two shallow skips; Swin stages 1-3 give the deeper ones. The bottleneck convolves the stage-3 map, and four
 * decoder steps each upsample (nearest x2), gate the skip with an attention gate, project it, concatenate and
 * convolve. A 1x1 convolution gives logits at input resolution.
 *
 * <p>Swin's stage 4 and final norm are part of the model (their weights load and count) but the decoder never
 * reads them, so the forward pass skips them; the output is the same as the published code's.
 */
public class SwinAttUNet extends AttentionUNet {
    private final SwinAttUNetConfig config;

    public SwinAttUNet(NDManager manager, SwinAttUNetConfig config) {
        this.config = config;
        int e = config.backbone().embedDim();
        int base = config.base();
        int f0 = config.filters(0);
        int f1 = config.filters(1);
        int f2 = config.filters(2);
        int f3 = config.filters(3);
        int f4 = config.filters(4);
        registerModule("swin_backbone", new SwinTransformer(manager, config.backbone()));
        registerDecoder(manager, new int[] {base, 2 * base, e, 2 * e}, new int[] {f0, f1, f2, f3, f4},
                new Sequential(Conv2d.same(manager, 4 * e, f4, 3), new BatchNorm2d(manager, f4), Activation.relu()));
        registerModule("final_conv", new Conv2d(manager, f0, config.numClasses(), 1, 1, 0, 1, true));
        registerModule("cnn1", new ConvBlock(manager, 3, base));
        registerModule("cnn2", new ConvBlock(manager, base, 2 * base));
        registerModule("downSample", new MaxPool2d(2));
        registerModule("change1", new Sequential(new Conv2d(manager, 2 * e, f3, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, f3), Activation.relu()));
        registerModule("change2", new Sequential(new Conv2d(manager, e, f2, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, f2), Activation.relu()));
    }

    public SwinAttUNetConfig config() {
        return config;
    }

    public SwinTransformer backbone() {
        return (SwinTransformer) child("swin_backbone");
    }

    /** Logits {@code [B, classes, H, W]} of images {@code [B, 3, H, W]} scaled to [0, 1]; H and W multiples of 16. */
    @Override
    public NDArray forward(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != 3 || h % 16 != 0 || w % 16 != 0) {
            throw new IllegalArgumentException("Swin-Att-UNet takes images [B, 3, H, W] with H and W multiples of "
                    + "16 (the decoder doubles the 1/16-scale bottleneck back up four times), got " + x.getShape());
        }
        NDArray x1 = call("cnn1", x);
        NDArray x2 = call("cnn2", call("downSample", x1));
        List<NDArray> feats = backbone().featureMaps(x, 3);
        NDArray bottle = call("bottle", feats.get(2));

        NDArray a4 = decoderStep(4, bottle, call("change1", feats.get(1)));
        NDArray a3 = decoderStep(3, a4, call("change2", feats.get(0)));
        NDArray a2 = decoderStep(2, a3, x2);
        NDArray a1 = decoderStep(1, a2, x1);
        return call("final_conv", a1);
    }
}
