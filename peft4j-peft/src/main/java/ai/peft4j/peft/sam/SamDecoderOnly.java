package ai.peft4j.peft.sam;

import ai.peft4j.peft.Attachment;
import java.util.List;

/**
 * The mask decoder alone ({@code sam-decoder}): the image and prompt encoders stay frozen and nothing is added to
 * them; only {@code mask_decoder.*} trains, which is what the three published methods train besides their encoder
 * modules. The baseline that tells what the encoder methods add.
 */
public final class SamDecoderOnly extends SamEncoderMethod {
    public static final String NAME = "sam-decoder";

    /** No settings: the decoder trains in full. */
    public record Config() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Config config() {
        return new Config();
    }

    @Override
    protected void addToBlocks(Attachment a, List<SamEncoderBlocks.Block> blocks) {
        a.trainBase(SamEncoderBlocks::isDecoder);
    }
}
