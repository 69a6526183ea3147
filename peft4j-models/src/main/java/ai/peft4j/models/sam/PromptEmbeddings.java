package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;

/** The prompt encoder's output: sparse tokens {@code [B, N, C]} and the dense map {@code [B, C, h, w]}. */
public record PromptEmbeddings(NDArray sparse, NDArray dense) {}
