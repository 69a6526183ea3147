package ai.peft4j.peft.full;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.PeftMethod;
import java.util.List;

/**
 * Every parameter of any model trains, with no head swapped or added: full fine-tuning (or training from
 * scratch) for models that are not a segmenter or a ViT classifier, such as Florence-2, whose output layer is its
 * tied token table. {@code full} is the segmenter's and the ViT classifier's own form.
 */
public final class AllWeights extends PeftMethod {
    public static final String NAME = "all-weights";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AllWeightsConfig config() {
        return new AllWeightsConfig();
    }

    /** The whole network trains, BatchNorm statistics included. */
    @Override
    protected BnStats defaultBnStats() {
        return BnStats.UPDATE;
    }

    @Override
    protected List<String> findTargets(Module model) {
        return List.of();
    }

    @Override
    protected void addTo(Attachment a, List<String> targets) {
        a.trainBase(name -> true);
    }
}
