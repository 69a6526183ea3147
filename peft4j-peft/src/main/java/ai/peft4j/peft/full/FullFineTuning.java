package ai.peft4j.peft.full;

import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.util.Map;

/** Every parameter trains: the baseline the others are measured against. */
public final class FullFineTuning extends SegmenterMethod {
    public FullFineTuning(SegmenterLayout layout) {
        super(layout);
    }

    public static FullFineTuning published() {
        return new FullFineTuning(SegmenterLayout.swinAttUNet());
    }

    @Override
    public String name() {
        return "full";
    }

    @Override
    public Map<String, Object> settings() {
        return Map.of();
    }

    @Override
    protected void trainBase(Attachment a) {
        a.trainBase(name -> true);
    }
}
