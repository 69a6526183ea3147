package ai.peft4j.peft.transfer;

/**
 * {@code vit-lora}'s settings, as peft-vit's {@code LoraConfig(target_modules=["query","value"])}.
 *
 * @param r rank of each update (published: 8)
 * @param loraAlpha the update is scaled by {@code lora_alpha / r} (published: 8)
 * @param loraDropout dropout on the update's input (published: 0)
 */
public record FusedQkvLoraConfig(int r, double loraAlpha, double loraDropout) {
    public FusedQkvLoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("LoRA rank r must be at least 1, got " + r);
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
    }

    public static FusedQkvLoraConfig published() {
        return new FusedQkvLoraConfig(8, 8, 0);
    }
}
