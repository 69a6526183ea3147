package ai.peft4j.peft.bitfit;

import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;

/**
 * BitFit as the TP-LoRA comparison runs it: every parameter whose name contains {@code bias} trains, plus the head.
 * That includes Swin's {@code relative_position_bias_table}, as the published name test does.
 */
public final class BitFit extends SegmenterMethod {
    public BitFit(SegmenterLayout layout) {
        super(layout);
    }

    public static BitFit published() {
        return new BitFit(SegmenterLayout.swinAttUNet());
    }

    @Override
    public BitFitConfig config() {
        return new BitFitConfig();
    }

    @Override
    public String name() {
        return "bitfit";
    }

    @Override
    protected void trainBase(Attachment a) {
        a.trainBase(name -> name.contains("bias"));
    }
}
