package ai.peft4j.models.florence2;

/**
 * The shape of Florence-2's BART-style language model, with the names of its {@code text_config}.
 *
 * @param vocabSize rows of the shared token embedding (51,289 for the published tokenizer: BART's 50,265 plus the
 *     task tokens and {@code <loc_0>}..{@code <loc_999>})
 * @param dModel width of every token
 * @param encoderLayers encoder layers
 * @param decoderLayers decoder layers
 * @param encoderHeads attention heads of the encoder
 * @param decoderHeads attention heads of the decoder (self and cross attention)
 * @param encoderFfn feed-forward width of the encoder
 * @param decoderFfn feed-forward width of the decoder
 * @param maxPositions longest sequence the learned positions cover (the table has two more rows, BART's offset)
 * @param scaleEmbedding whether token embeddings are multiplied by {@code sqrt(d_model)} (false in Florence-2)
 */
public record BartConfig(int vocabSize, int dModel, int encoderLayers, int decoderLayers, int encoderHeads,
        int decoderHeads, int encoderFfn, int decoderFfn, int maxPositions, boolean scaleEmbedding) {
    /** BART's learned positions start at row 2 (fairseq kept two rows for padding). */
    public static final int POSITION_OFFSET = 2;

    public BartConfig {
        if (vocabSize < 1 || dModel < 1 || encoderLayers < 1 || decoderLayers < 1 || encoderFfn < 1
                || decoderFfn < 1 || maxPositions < 1) {
            throw new IllegalArgumentException("BART sizes must be positive: " + this);
        }
        if (dModel % encoderHeads != 0 || dModel % decoderHeads != 0) {
            throw new IllegalArgumentException("BART d_model " + dModel + " is not divisible by the heads ("
                    + encoderHeads + ", " + decoderHeads + ")");
        }
    }

    /** Florence-2-base: 6 + 6 layers of 768 with 12 heads, feed-forward 3072, 1024 positions. */
    public static BartConfig base() {
        return new BartConfig(51289, 768, 6, 6, 12, 12, 3072, 3072, 1024, false);
    }

    /** The tiny language model of the reference fixtures: 2 + 2 layers of 32 with 2 heads, 64 positions. */
    public static BartConfig fixtureTiny(int vocabSize) {
        return new BartConfig(vocabSize, 32, 2, 2, 2, 2, 64, 64, 64, false);
    }

    public float embedScale() {
        return scaleEmbedding ? (float) Math.sqrt(dModel) : 1f;
    }

    public BartConfig withVocabSize(int rows) {
        return new BartConfig(rows, dModel, encoderLayers, decoderLayers, encoderHeads, decoderHeads, encoderFfn,
                decoderFfn, maxPositions, scaleEmbedding);
    }
}
