package ai.peft4j.peft.qvlora;

/**
 * The published q/v LoRA's settings.
 *
 * @param rank rank of every update (published: 8)
 */
public record QueryValueLoraConfig(int rank) {}
