package ai.peft4j.peft.full;

/**
 * Full fine-tuning's settings: none (every parameter trains).
 */
public record FullConfig() {}
