package ai.peft4j.peft.qvlora;

import ai.djl.ndarray.NDManager;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.bottleneck.Bottleneck;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;

/**
 * LoRA as the TP-LoRA comparison runs it: in every window attention, rank-r updates {@code lora_q}, {@code lora_v}
 * of the query and value (dropout 0.1 on the rank-r activations); beside each decoder block a rank-r adapter
 * {@code lora_adapter<k>} of the upsampled map; in each gate {@code lora_adapter_att} on the skip.
 */
public final class QueryValueLora extends SegmenterMethod {
    private final int rank;

    public QueryValueLora(SegmenterLayout layout, int rank) {
        super(layout);
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1, got " + rank);
        }
        this.rank = rank;
    }

    public static QueryValueLora published() {
        return new QueryValueLora(SegmenterLayout.swinAttUNet(), 8);
    }

    @Override
    public QueryValueLoraConfig config() {
        return new QueryValueLoraConfig(rank);
    }

    @Override
    public String name() {
        return "lora";
    }

    @Override
    protected void attachBlock(Attachment a, NDManager m, SegmenterLayout.Block b) {
        String attn = b.path() + ".attn";
        Bottleneck q = a.addModule(attn, "lora_q", backboneInit(new Bottleneck(m, b.dim(), rank,
                Bottleneck.Spec.lora())));
        Bottleneck v = a.addModule(attn, "lora_v", backboneInit(new Bottleneck(m, b.dim(), rank,
                Bottleneck.Spec.lora())));
        addToQueryAndValue(a, b.path(), q, v);
    }

    @Override
    protected void attachDecoder(Attachment a, NDManager m, int level, String path, int channels) {
        Bottleneck ad = a.addModule("", "lora_adapter" + level,
                new Bottleneck(m, channels, rank, Bottleneck.Spec.lora()).zeroUp());
        besideDecoder(a, path, channels, onMaps(ad), 1f);
    }

    @Override
    protected void attachGate(Attachment a, NDManager m, int level, String path, int channels) {
        Bottleneck ad = a.addModule(path, "lora_adapter_att",
                new Bottleneck(m, channels, rank, Bottleneck.Spec.lora()).zeroUp());
        besideGate(a, path, onMaps(ad), 1f);
    }
}
