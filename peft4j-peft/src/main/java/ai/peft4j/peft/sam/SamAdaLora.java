package ai.peft4j.peft.sam;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.adalora.RankAllocator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Medical-SAM-Adapter's AdaLoRA ({@code sam-adalora}; the ViT and TinyViT {@code AdaloraBlock}s): loralib's
 * {@code SVDLinear} on {@code attn.qkv} (all rows) and both MLP linears of every encoder block, and on TinyViT's
 * {@code attn.proj} too, as the published blocks place them. Train with {@link SamAdaLoraAdapter}: its orthogonality
 * regulariser joins the loss and its rank allocator masks singular values after each step.
 */
public final class SamAdaLora extends SamEncoderMethod {
    public static final String NAME = "sam-adalora";
    private final SamAdaLoraConfig config;
    private Map<String, RankAllocator.Triplets> lastTriplets = Map.of();

    public SamAdaLora(SamAdaLoraConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SamAdaLoraConfig config() {
        return config;
    }

    /** Attaches to {@code model}; the adapter carries the regulariser and the rank allocator. */
    public SamAdaLoraAdapter apply(Module model) {
        Attachment a = attach(model);
        return new SamAdaLoraAdapter(config, a, lastTriplets);
    }

    @Override
    protected void addToBlocks(Attachment a, List<SamEncoderBlocks.Block> blocks) {
        Map<String, RankAllocator.Triplets> triplets = new LinkedHashMap<>();
        if (config.adaptEncoder()) {
            for (SamEncoderBlocks.Block block : blocks) {
                List<String> paths = block.tinyVit() ? List.of(block.qkv(), block.proj(), block.fc1(), block.fc2())
                        : List.of(block.qkv(), block.fc1(), block.fc2());
                for (String p : paths) {
                    triplets.put(p, SvdLinearLayer.attach(a, p, config.r(), config.loraAlpha()));
                }
            }
        }
        if (config.trainDecoder()) {
            a.trainBase(SamEncoderBlocks::isDecoder);
        }
        lastTriplets = triplets;
    }
}
