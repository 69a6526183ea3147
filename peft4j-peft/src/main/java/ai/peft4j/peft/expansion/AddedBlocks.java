package ai.peft4j.peft.expansion;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.transfer.ClassifierLayout;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * peft-vit's {@code block} mode on a timm ViT: {@code p} identity-initialised copies of blocks, placed as the paper
 * (after LLaMA-Pro) places them: the D blocks fall into p groups of D / p and a copy of each group's last block
 * follows it, its {@code attn.proj} and {@code mlp.fc2} zeroed; only the copies and the head train. This is
 * {@link BlockExpansion} with {@code split = D / p}. peft-vit's {@code block_expansion(ckpt, split, L)} takes the
 * split itself (REFERENCE lists split 11 for p = 1 on 12 blocks, which puts the copy after block 10 rather than
 * after the last); the trainable count is the same either way.
 */
public final class AddedBlocks extends PeftMethod {
    public static final String NAME = "vit-block";
    private final AddedBlocksConfig config;
    private final UnaryOperator<Module> freshBlock;
    private BlockExpansion expansion;

    public AddedBlocks(AddedBlocksConfig config, UnaryOperator<Module> freshBlock) {
        this.config = config;
        this.freshBlock = freshBlock;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AddedBlocksConfig config() {
        return config;
    }

    @Override
    protected List<String> findTargets(Module model) {
        ClassifierLayout.requireHead(model, NAME);
        int depth = ClassifierLayout.depth(model, NAME);
        int p = config.added();
        if (p > depth || depth % p != 0) {
            throw new IllegalArgumentException(NAME + ": added " + p + " does not divide the model's " + depth
                    + " blocks into equal groups (one new block after each group); use one of "
                    + divisors(depth));
        }
        expansion = new BlockExpansion(BlockExpansionConfig.timmVit(depth / p), freshBlock);
        return expansion.findTargets(model);
    }

    @Override
    protected void check(Module model, List<String> targets) {
        expansion.check(model, targets);
    }

    @Override
    protected void addTo(Attachment a, List<String> targets) {
        expansion.addTo(a, targets);
    }

    private static String divisors(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            if (n % i == 0) {
                s.append(s.length() == 0 ? "" : ", ").append(i);
            }
        }
        return s.toString();
    }
}
