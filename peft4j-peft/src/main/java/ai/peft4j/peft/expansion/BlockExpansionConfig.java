package ai.peft4j.peft.expansion;

import java.util.List;

/**
 * Where and how to expand a block stack.
 *
 * @param stack pattern (see {@code NamePattern}) naming the module list of blocks, e.g. {@code blocks}
 * @param split a copy is inserted after every {@code split}-th original block (peft-vit's {@code split}: 12 blocks
 *     with split 4 gain 3)
 * @param zeroed patterns of the parameters, relative to a block, that are zeroed in a copy: the last projection of
 *     each residual branch, so that a pre-norm block adds nothing and starts as the identity
 * @param alsoTrain patterns of base parameters that train besides the new blocks, e.g. the task head
 */
public record BlockExpansionConfig(String stack, int split, List<String> zeroed, List<String> alsoTrain) {

    public BlockExpansionConfig {
        if (split < 1) {
            throw new IllegalArgumentException("split must be at least 1 (a new block after every split-th), got "
                    + split);
        }
        zeroed = List.copyOf(zeroed);
        alsoTrain = List.copyOf(alsoTrain);
        if (zeroed.isEmpty()) {
            throw new IllegalArgumentException("name the output projections to zero (e.g. attn.proj.*, mlp.fc2.*): "
                    + "without them a copied block is not an identity map");
        }
    }

    /**
     * timm ViT names: stack {@code blocks}, zeroed {@code attn.proj.*} and {@code mlp.fc2.*}, the head trains.
     */
    public static BlockExpansionConfig timmVit(int split) {
        return new BlockExpansionConfig("blocks", split, List.of("attn.proj.*", "mlp.fc2.*"), List.of("head.*"));
    }
}
