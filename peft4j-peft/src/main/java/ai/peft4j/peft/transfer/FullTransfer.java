package ai.peft4j.peft.transfer;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.List;

/** peft-vit's {@code full} mode: every parameter of the ViT and its head trains. */
public final class FullTransfer extends PeftMethod {
    public static final String NAME = "vit-full";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public FullTransferConfig config() {
        return new FullTransferConfig();
    }

    @Override
    protected List<String> findTargets(Module model) {
        ClassifierLayout.requireHead(model, NAME);
        return List.of(ClassifierLayout.HEAD);
    }

    @Override
    protected void addTo(Attachment a, List<String> targets) {
        a.trainBase(name -> true);
    }
}
