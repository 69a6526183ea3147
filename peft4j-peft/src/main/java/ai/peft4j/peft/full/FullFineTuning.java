package ai.peft4j.peft.full;

import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.util.function.Predicate;

/**
 * Every parameter trains: the baseline the others are measured against. On a ViT classifier it is peft-vit's
 * {@code full} mode (once called {@code vit-full}).
 */
public final class FullFineTuning extends SegmenterMethod {
    public FullFineTuning(SegmenterLayout layout) {
        super(layout);
    }

    public static FullFineTuning published() {
        return new FullFineTuning(SegmenterLayout.swinAttUNet());
    }

    @Override
    public FullConfig config() {
        return new FullConfig();
    }

    @Override
    public String name() {
        return "full";
    }

    /** The whole network trains, BatchNorm statistics included; they are saved with the weights. */
    @Override
    protected BnStats defaultBnStats() {
        return BnStats.UPDATE;
    }

    @Override
    protected Predicate<String> onClassifier() {
        return name -> true;
    }

    @Override
    protected void trainBase(Attachment a) {
        a.trainBase(name -> true);
    }
}
