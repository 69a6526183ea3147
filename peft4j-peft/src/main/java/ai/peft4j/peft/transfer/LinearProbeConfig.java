package ai.peft4j.peft.transfer;

/** {@code vit-linear}'s settings: none (only the head trains). */
public record LinearProbeConfig() {}
