package ai.peft4j.peft.lora;

/** How new LoRA weights start, HF PEFT's {@code init_lora_weights}. */
public enum LoraInit {
    /** {@code true}: A kaiming-uniform (a = sqrt(5)), B zeros, so the adapted model starts as the base model. */
    KAIMING,
    /** {@code "gaussian"}: A ~ N(0, 1/r), B zeros. */
    GAUSSIAN,
    /** {@code false}: both A and B keep PyTorch's Linear/Conv default; the update is not zero (for tests). */
    RANDOM
}
