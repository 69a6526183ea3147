package ai.peft4j.peft.expansion;

/**
 * {@code vit-block}'s settings: block expansion as peft-vit's paper counts it.
 *
 * @param added p, the blocks added: the D blocks fall into p equal groups and a copy of each group's last block
 *     follows it (published rows p = 1..4 on ViT-B/16; the paper's best p = 3)
 */
public record AddedBlocksConfig(int added) {
    public AddedBlocksConfig {
        if (added < 1) {
            throw new IllegalArgumentException("block expansion adds at least 1 block (added p), got " + added);
        }
    }
}
