package ai.peft4j.peft.sam;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.PeftMethod;
import java.util.List;

/**
 * What Medical-SAM-Adapter's three methods share: they attach to every block of a segment-anything image encoder
 * ({@link SamEncoderBlocks}), and the published training runs the whole net in train mode, so TinyViT's BatchNorm
 * statistics update. Each method says what it adds to the blocks.
 */
abstract class SamEncoderMethod extends PeftMethod {
    @Override
    protected BnStats defaultBnStats() {
        return BnStats.UPDATE;
    }

    @Override
    protected final List<String> findTargets(Module model) {
        return SamEncoderBlocks.find(model, name()).stream().map(SamEncoderBlocks.Block::path).toList();
    }

    @Override
    protected final void addTo(Attachment a, List<String> targets) {
        addToBlocks(a, SamEncoderBlocks.find(a.model(), name()));
    }

    /** Adds the method's modules to {@code blocks}, the encoder's blocks in model order. */
    protected abstract void addToBlocks(Attachment a, List<SamEncoderBlocks.Block> blocks);
}
