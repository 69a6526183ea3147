package ai.peft4j.peft.full;

/**
 * The "Classify" row's settings: none (only the head trains).
 */
public record ClassifyConfig() {}
