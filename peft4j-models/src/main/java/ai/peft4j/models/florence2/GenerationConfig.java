package ai.peft4j.models.florence2;

/**
 * How answers are generated, with the names of transformers' {@code GenerationConfig}. A token id of -1 means
 * "none" (no forced first or last token).
 *
 * @param maxNewTokens tokens generated after the start token at most
 * @param numBeams 1 for greedy search, more for beam search
 * @param noRepeatNgramSize no n-gram of this size occurs twice (0: off)
 * @param forcedBosTokenId the token forced as the first generated one, or -1
 * @param forcedEosTokenId the token forced when only one more fits, or -1
 * @param decoderStartTokenId the decoder's first input
 * @param eosTokenId the token that ends an answer
 * @param padTokenId filler after the end
 * @param earlyStopping beam search stops as soon as {@code numBeams} answers are finished
 * @param lengthPenalty a finished beam's score is its log-probability over its length to this power
 */
public record GenerationConfig(int maxNewTokens, int numBeams, int noRepeatNgramSize, int forcedBosTokenId,
        int forcedEosTokenId, int decoderStartTokenId, int eosTokenId, int padTokenId, boolean earlyStopping,
        float lengthPenalty) {
    public GenerationConfig {
        if (maxNewTokens < 1 || numBeams < 1 || noRepeatNgramSize < 0) {
            throw new IllegalArgumentException("max new tokens and beams must be positive, the n-gram size not"
                    + " negative: " + this);
        }
    }

    /**
     * The published checkpoint's rules (its language model's {@code generation_config}: 3 beams, no repeated
     * 3-grams, {@code <s>} forced first and {@code </s>} last, early stopping) with the evaluation script's 1,024
     * new tokens.
     */
    public static GenerationConfig florence2() {
        return new GenerationConfig(1024, 3, 3, Florence2Tokenizer.BOS, Florence2Tokenizer.EOS,
                Florence2Tokenizer.EOS, Florence2Tokenizer.EOS, Florence2Tokenizer.PAD, true, 1f);
    }

    /** Greedy search with no logits processors, the plain arg-max of every step. */
    public GenerationConfig plainGreedy() {
        return new GenerationConfig(maxNewTokens, 1, 0, -1, -1, decoderStartTokenId, eosTokenId, padTokenId,
                earlyStopping, lengthPenalty);
    }

    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, numBeams, noRepeatNgramSize, forcedBosTokenId, forcedEosTokenId,
                decoderStartTokenId, eosTokenId, padTokenId, earlyStopping, lengthPenalty);
    }

    public GenerationConfig withNumBeams(int n) {
        return new GenerationConfig(maxNewTokens, n, noRepeatNgramSize, forcedBosTokenId, forcedEosTokenId,
                decoderStartTokenId, eosTokenId, padTokenId, earlyStopping, lengthPenalty);
    }

    /** The longest sequence, start token included ({@code max_length}). */
    public int maxLength() {
        return maxNewTokens + 1;
    }
}
