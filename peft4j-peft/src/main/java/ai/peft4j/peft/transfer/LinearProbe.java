package ai.peft4j.peft.transfer;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.List;

/** peft-vit's {@code linear} mode: only the head trains (every parameter without "classifier" in its name frozen). */
public final class LinearProbe extends PeftMethod {
    public static final String NAME = "vit-linear";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LinearProbeConfig config() {
        return new LinearProbeConfig();
    }

    @Override
    protected List<String> findTargets(Module model) {
        ClassifierLayout.requireHead(model, NAME);
        return List.of(ClassifierLayout.HEAD);
    }

    @Override
    protected void addTo(Attachment a, List<String> targets) {
        a.trainBase(ClassifierLayout::inHead);
    }
}
