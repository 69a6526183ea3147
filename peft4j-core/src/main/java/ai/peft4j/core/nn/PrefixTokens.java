package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * Extra tokens an attention module puts in front of every sequence it attends over and drops from its output:
 * the deep prompts of VPT. They take part as queries, keys and values, with no position bias or mask of their own.
 */
@FunctionalInterface
public interface PrefixTokens {
    /**
     * @param input the tokens {@code [B, L, C]} the module is about to attend over (already normalised)
     * @return tokens {@code [1, P, C]} shared by the batch or {@code [B, P, C]} per image, or null for none now
     */
    NDArray tokens(NDArray input);
}
