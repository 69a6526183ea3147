package ai.peft4j.peft.transfer;

/** {@code vit-full}'s settings: none (every parameter trains). */
public record FullTransferConfig() {}
