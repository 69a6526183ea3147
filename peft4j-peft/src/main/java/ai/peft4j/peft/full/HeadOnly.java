package ai.peft4j.peft.full;

import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;

/** Only the classifier trains (the "Classify" row of the TP-LoRA comparison). */
public final class HeadOnly extends SegmenterMethod {
    public HeadOnly(SegmenterLayout layout) {
        super(layout);
    }

    public static HeadOnly published() {
        return new HeadOnly(SegmenterLayout.swinAttUNet());
    }

    @Override
    public ClassifyConfig config() {
        return new ClassifyConfig();
    }

    @Override
    public String name() {
        return "classify";
    }
}
