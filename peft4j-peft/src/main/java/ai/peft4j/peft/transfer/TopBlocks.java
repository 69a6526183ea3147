package ai.peft4j.peft.transfer;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code k} blocks and the head train, the rest is frozen: peft-vit's "Top-3" row, whose mode
 * ({@code add_three}) its code names in configs but does not implement; this is what the paper describes.
 */
public final class TopBlocks extends PeftMethod {
    public static final String NAME = "vit-top-k";
    private final TopBlocksConfig config;

    public TopBlocks(TopBlocksConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TopBlocksConfig config() {
        return config;
    }

    @Override
    protected List<String> findTargets(Module model) {
        ClassifierLayout.requireHead(model, NAME);
        int depth = ClassifierLayout.depth(model, NAME);
        List<String> out = new ArrayList<>();
        for (int i = Math.max(0, depth - config.k()); i < depth; i++) {
            out.add(ClassifierLayout.BLOCKS + "." + i + ".");
        }
        return out;
    }

    @Override
    protected void check(Module model, List<String> targets) {
        int depth = ClassifierLayout.depth(model, NAME);
        if (config.k() > depth) {
            throw new IllegalArgumentException(NAME + ": k " + config.k() + " exceeds the model's " + depth
                    + " blocks; use full to train them all");
        }
    }

    @Override
    protected void addTo(Attachment a, List<String> targets) {
        a.trainBase(name -> ClassifierLayout.inHead(name) || targets.stream().anyMatch(name::startsWith));
    }
}
