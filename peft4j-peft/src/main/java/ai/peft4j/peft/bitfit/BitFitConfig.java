package ai.peft4j.peft.bitfit;

/**
 * BitFit's settings: none (every bias and the head train).
 */
public record BitFitConfig() {}
