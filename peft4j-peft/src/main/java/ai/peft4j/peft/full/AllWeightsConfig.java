package ai.peft4j.peft.full;

/** {@code all-weights}' settings: none (every parameter trains). */
public record AllWeightsConfig() {}
