package ai.peft4j.models.sam;

import java.util.List;

/**
 * The shape of an EfficientSAM as Medical-SAM-Adapter builds it ({@code build_efficient_sam}).
 *
 * @param imageSize side of the square input
 * @param encoder the ViT encoder (every block global, LayerNorm eps 1e-5,
 *     {@link SamConfig.EncoderLayout#EFFICIENT_SAM})
 * @param decoder the mask decoder; {@code iouHeadDepth} counts the hidden (Linear, GELU) layers before {@code fc}
 * @param upscalingDims channels after each 2x transposed convolution of the mask upscaling
 * @param maxPoints points per prompt after padding or truncation ({@code decoder_max_num_input_points})
 */
public record EfficientSamConfig(int imageSize, SamConfig.Encoder encoder, SamConfig.Decoder decoder,
        List<Integer> upscalingDims, int maxPoints) {

    public EfficientSamConfig {
        upscalingDims = List.copyOf(upscalingDims);
        if (encoder.layout() != SamConfig.EncoderLayout.EFFICIENT_SAM) {
            throw new IllegalArgumentException("EfficientSAM needs an encoder with the EFFICIENT_SAM layout");
        }
    }

    /** EfficientSAM ViT-T: dim 192, 3 heads. */
    public static EfficientSamConfig vitT(int imageSize) {
        return published(imageSize, 192, 3);
    }

    /** EfficientSAM ViT-S: dim 384, 6 heads. */
    public static EfficientSamConfig vitS(int imageSize) {
        return published(imageSize, 384, 6);
    }

    // build_efficient_sam: depth 12, neck 256, decoder depth 2 with 8 heads and MLP 2048, upscaling 64-32, IoU head
    // 3 - 1 hidden layers of 256, 3 + 1 mask tokens, 6 points.
    private static EfficientSamConfig published(int imageSize, int dim, int heads) {
        return new EfficientSamConfig(imageSize, encoder(dim, 12, heads, 256),
                new SamConfig.Decoder(2, 8, 2048, 2, 256, 4, 2, 1), List.of(64, 32), 6);
    }

    /**
     * The reference fixture's small EfficientSAM ({@code fixtures/sam}): input 128, dim 64, depth 2, 2 heads, neck
     * 32; decoder depth 2, 2 heads, MLP 64, upscaling 16-8, IoU head 2 x 32, 4 mask tokens.
     */
    public static EfficientSamConfig fixture() {
        return new EfficientSamConfig(128, encoder(64, 2, 2, 32), new SamConfig.Decoder(2, 2, 64, 2, 32, 4, 2, 1),
                List.of(16, 8), 6);
    }

    private static SamConfig.Encoder encoder(int dim, int depth, int heads, int neck) {
        return new SamConfig.Encoder(dim, depth, heads, 4f, 16, 0, List.of(), neck, true, true, 1e-5f,
                SamConfig.EncoderLayout.EFFICIENT_SAM);
    }

    /** Side of the image embedding. */
    public int embeddingSize() {
        return imageSize / encoder.patchSize();
    }

    /** Width of prompt tokens and of the decoder: the neck's output. */
    public int embedDim() {
        return encoder.outChans();
    }
}
