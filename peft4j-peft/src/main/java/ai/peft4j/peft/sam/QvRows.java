package ai.peft4j.peft.sam;

/** Which rows of a fused qkv projection the published "q and v" LoRA ({@code MergedLinear}) adapts. */
public enum QvRows {
    /**
     * loralib's {@code MergedLinear} with {@code enable_lora=[True, False, True]}: the first and last third of the
     * output rows. In SAM's ViT those are q and v; in TinyViT, whose rows are per head {@code [q_h k_h v_h]}, they
     * are contiguous blocks that mix q, k and v of different heads (what the published TinyViT LoRA block does).
     */
    THIRDS,
    /** The q and v rows of every head: the same as {@link #THIRDS} on the ViT, the intended rows on TinyViT. */
    HEADS
}
