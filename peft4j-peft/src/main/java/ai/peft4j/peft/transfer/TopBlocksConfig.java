package ai.peft4j.peft.transfer;

/**
 * {@code vit-top-k}'s settings.
 *
 * @param k how many of the last blocks train, besides the head (peft-vit's "Top-3" row: 3)
 */
public record TopBlocksConfig(int k) {
    public TopBlocksConfig {
        if (k < 1) {
            throw new IllegalArgumentException("k (blocks that train) must be at least 1, got " + k
                    + "; for the head alone use classify");
        }
    }
}
