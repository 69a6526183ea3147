package ai.peft4j.models.florence2;

/**
 * A whole Florence-2: the image encoder, the language model and what joins them.
 *
 * @param vision the DaViT encoder
 * @param text the encoder-decoder
 * @param projectionDim width the image tokens are projected to (the language model's {@code d_model})
 * @param imagePositions rows of the learned 2-D image position tables ({@code max_pos_embeddings}), the largest
 *     side of the last stage's map
 * @param temporalPositions rows of the cosine frame table ({@code max_temporal_embeddings})
 */
public record Florence2Config(DaVitConfig vision, BartConfig text, int projectionDim, int imagePositions,
        int temporalPositions) {
    public Florence2Config {
        if (projectionDim != text.dModel()) {
            throw new IllegalArgumentException("Florence-2 projection_dim " + projectionDim
                    + " must equal the language model's d_model " + text.dModel());
        }
    }

    /** Florence-2-base (0.23 B parameters), 768x768 images. */
    public static Florence2Config base() {
        return new Florence2Config(DaVitConfig.base(), BartConfig.base(), 768, 50, 100);
    }

    /** The tiny model of the reference fixtures ({@code fixtures/florence2}), 64x64 images, full vocabulary. */
    public static Florence2Config fixtureTiny() {
        return fixtureTiny(51289);
    }

    /** The tiny model with another vocabulary size (the fixtures' 64-token twin). */
    public static Florence2Config fixtureTiny(int vocabSize) {
        return new Florence2Config(DaVitConfig.fixtureTiny(), BartConfig.fixtureTiny(vocabSize), 32, 50, 100);
    }
}
