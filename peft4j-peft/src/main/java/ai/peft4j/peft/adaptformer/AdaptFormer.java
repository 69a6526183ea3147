package ai.peft4j.peft.adaptformer;

import ai.djl.ndarray.NDManager;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.bottleneck.Bottleneck;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;

/**
 * AdaptFormer as the TP-LoRA comparison runs it: {@code mlp(y) + 0.1 * adapter(y)} in every block (width 64, ReLU,
 * dropout 0.1), and the same adapter times 0.1 beside each decoder block and gate.
 */
public final class AdaptFormer extends SegmenterMethod {
    private final int width;
    private final float scale;

    public AdaptFormer(SegmenterLayout layout, int width, float scale) {
        super(layout);
        this.width = width;
        this.scale = scale;
    }

    public static AdaptFormer published() {
        return new AdaptFormer(SegmenterLayout.swinAttUNet(), 64, 0.1f);
    }

    @Override
    public AdaptFormerConfig config() {
        return new AdaptFormerConfig(width, scale);
    }

    @Override
    public String name() {
        return "adaptformer";
    }

    @Override
    protected void attachBlock(Attachment a, NDManager m, SegmenterLayout.Block b) {
        Bottleneck ad = a.addModule(b.path(), "adaptformer_adapter_mlp",
                backboneInit(new Bottleneck(m, b.dim(), width, Bottleneck.Spec.adaptFormer())));
        besideMlp(a, b.path(), ad, scale);
    }

    @Override
    protected void attachDecoder(Attachment a, NDManager m, int level, String path, int channels) {
        Bottleneck ad = a.addModule("", "adaptformer_adapter" + level,
                new Bottleneck(m, channels, width, Bottleneck.Spec.adaptFormer()).zeroUp());
        besideDecoder(a, path, channels, onMaps(ad), scale);
    }

    @Override
    protected void attachGate(Attachment a, NDManager m, int level, String path, int channels) {
        Bottleneck ad = a.addModule(path, "adaptformer_adapter_att",
                new Bottleneck(m, channels, width, Bottleneck.Spec.adaptFormer()).zeroUp());
        besideGate(a, path, onMaps(ad), scale);
    }
}
