package ai.peft4j.peft.full;

import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import ai.peft4j.peft.transfer.ClassifierLayout;
import java.util.function.Predicate;

/**
 * Only the classifier trains (the "Classify" row of the TP-LoRA comparison). On a ViT classifier it is peft-vit's
 * {@code linear} mode (once called {@code vit-linear}): every parameter outside {@code head} frozen.
 */
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

    @Override
    protected Predicate<String> onClassifier() {
        return ClassifierLayout::inHead;
    }
}
