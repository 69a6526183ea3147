package ai.peft4j.peft.sam;

/**
 * Settings of Medical-SAM-Adapter's LoRA ({@code -mod sam_lora}, loralib layers).
 *
 * @param r rank (published: {@code -mid_dim} or 4)
 * @param loraAlpha the update is scaled by {@code alpha / r} (loralib's default alpha 1)
 * @param qvRows which qkv rows the q/v update reaches; {@link QvRows#HEADS} by default, {@link QvRows#THIRDS} for
 *     the published TinyViT behaviour
 * @param trainDecoder train the mask decoder too, as the published {@code train_sam} does
 */
public record SamLoraConfig(int r, double loraAlpha, QvRows qvRows, boolean trainDecoder) {
    public SamLoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("sam-lora rank r must be a positive integer, got " + r);
        }
        if (qvRows == null) {
            qvRows = QvRows.HEADS;
        }
    }

    /** Rank 4, alpha 1, the q and v rows of every head, decoder trained. */
    public static SamLoraConfig defaults() {
        return new SamLoraConfig(4, 1, QvRows.HEADS, true);
    }

    /** What the published code computes, TinyViT's contiguous thirds included. */
    public static SamLoraConfig published() {
        return new SamLoraConfig(4, 1, QvRows.THIRDS, true);
    }

    public double scaling() {
        return loraAlpha / r;
    }
}
