package ai.peft4j.peft.sam;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import java.util.List;

/**
 * Medical-SAM-Adapter's LoRA ({@code sam-lora}; {@code LoraBlock}, the TinyViT {@code LoraBlock}): loralib LoRA on
 * the q and v rows of every encoder block's fused {@code attn.qkv} and on both MLP linears; the projection stays
 * plain. The encoder is frozen except the LoRA factors; the mask decoder trains.
 */
public final class SamLora extends SamEncoderMethod {
    public static final String NAME = "sam-lora";
    private final SamLoraConfig config;

    public SamLora(SamLoraConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SamLoraConfig config() {
        return config;
    }

    @Override
    protected void addToBlocks(Attachment a, List<SamEncoderBlocks.Block> blocks) {
        Module model = a.model();
        double scaling = config.scaling();
        for (SamEncoderBlocks.Block block : blocks) {
            int heads = 0;
            if (block.tinyVit() && config.qvRows() == QvRows.HEADS) {
                heads = (int) model.module(block.path() + ".attn").parameter("attention_biases").shape().get(0);
            }
            LoralibLayer.mergedQv(a, block.qkv(), config.r(), scaling, heads);
            LoralibLayer.linear(a, block.fc1(), config.r(), scaling);
            LoralibLayer.linear(a, block.fc2(), config.r(), scaling);
        }
        if (config.trainDecoder()) {
            a.trainBase(SamEncoderBlocks::isDecoder);
        }
    }
}
