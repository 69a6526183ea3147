package ai.peft4j.models.sam;

import java.util.List;
import java.util.Locale;

/**
 * The shape of a SAM with a ViT image encoder: the encoder, the prompt encoder and the mask decoder, for one input
 * size and one {@link SamVariant}. The image embedding is {@code imageSize / patchSize} on a side and the low-res
 * masks four times that.
 *
 * @param imageSize side of the square input the prompt encoder normalises coordinates by
 * @param variant which published code the model follows (names and decoder arithmetic)
 * @param encoder the ViT image encoder
 * @param promptEmbedDim width of prompt tokens, the image embedding and the decoder
 * @param maskInChans hidden channels of the mask-input downscaling
 * @param decoder the mask decoder
 */
public record SamConfig(int imageSize, SamVariant variant, Encoder encoder, int promptEmbedDim, int maskInChans,
        Decoder decoder) {

    /** Names accepted by {@link #preset}. */
    public static final String PRESETS = "sam-vit-b, sam-vit-l, sam-vit-h, sam-fixture";

    public SamConfig {
        if (imageSize < 1 || imageSize % encoder.patchSize() != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " must be a positive multiple of the patch "
                    + "size " + encoder.patchSize());
        }
        if (promptEmbedDim % 8 != 0 || maskInChans % 4 != 0) {
            throw new IllegalArgumentException("prompt embed dim " + promptEmbedDim + " must be a multiple of 8 and "
                    + "mask input channels " + maskInChans + " of 4");
        }
    }

    /**
     * The ViT image encoder.
     *
     * @param embedDim token width
     * @param depth number of blocks
     * @param heads attention heads
     * @param mlpRatio MLP hidden width relative to {@code embedDim}
     * @param patchSize side of the non-overlapping patches
     * @param windowSize side of the attention windows (0: every block global)
     * @param globalAttnIndexes blocks that attend globally
     * @param outChans channels of the neck, the image embedding
     * @param useRelPos whether attention adds decomposed relative positions
     * @param qkvBias whether the qkv projection has a bias
     * @param layerNormEps eps of the blocks' LayerNorms
     * @param layout SAM's or EfficientSAM's position embedding and patch embedding output
     */
    public record Encoder(int embedDim, int depth, int heads, float mlpRatio, int patchSize, int windowSize,
            List<Integer> globalAttnIndexes, int outChans, boolean useRelPos, boolean qkvBias, float layerNormEps,
            EncoderLayout layout) {
        public Encoder {
            if (embedDim < 1 || heads < 1 || embedDim % heads != 0) {
                throw new IllegalArgumentException("embed dim " + embedDim + " must divide into " + heads + " heads");
            }
            globalAttnIndexes = List.copyOf(globalAttnIndexes);
        }

        /** A SAM-layout encoder. */
        public Encoder(int embedDim, int depth, int heads, float mlpRatio, int patchSize, int windowSize,
                List<Integer> globalAttnIndexes, int outChans, boolean useRelPos, boolean qkvBias, float layerNormEps) {
            this(embedDim, depth, heads, mlpRatio, patchSize, windowSize, globalAttnIndexes, outChans, useRelPos,
                    qkvBias, layerNormEps, EncoderLayout.SAM);
        }

        /** The window of block {@code i}: 0 (global) for the global blocks. */
        public int windowOf(int block) {
            return globalAttnIndexes.contains(block) ? 0 : windowSize;
        }
    }

    /** Where the ViT encoders of the SAM family differ outside their blocks. */
    public enum EncoderLayout {
        /**
         * segment-anything: {@code pos_embed [1, 1024/p, 1024/p, C]}, resized to the token grid; the patch embedding
         * returns {@code [B, H, W, C]}.
         */
        SAM,
        /**
         * EfficientSAM: {@code pos_embed [1, 1 + (224/p)^2, C]} from a 224 pretraining with a class token, which is
         * dropped before the grid is resized; the patch embedding returns {@code [B, C, H, W]}.
         */
        EFFICIENT_SAM
    }

    /**
     * The mask decoder and its two-way transformer.
     *
     * @param depth two-way attention blocks
     * @param heads attention heads
     * @param mlpDim hidden width of the transformer MLP
     * @param iouHeadDepth layers of the IoU head
     * @param iouHeadHiddenDim hidden width of the IoU head
     * @param numMaskTokens mask tokens (SAM: 3 multimask outputs + 1)
     * @param attentionDownsampleRate how much narrower the cross attentions are than the tokens
     * @param multimaskOutput Medical-SAM-Adapter only: how many tokens from 0 the decoder returns
     *     ({@code args.multimask_output}; 2 for REFUGE)
     */
    public record Decoder(int depth, int heads, int mlpDim, int iouHeadDepth, int iouHeadHiddenDim, int numMaskTokens,
            int attentionDownsampleRate, int multimaskOutput) {
        public Decoder {
            if (numMaskTokens < 1 || multimaskOutput < 1 || multimaskOutput > numMaskTokens) {
                throw new IllegalArgumentException("multimask output " + multimaskOutput + " must be between 1 and the "
                        + numMaskTokens + " mask tokens");
            }
        }

        /**
         * The same decoder with {@code tokens} mask tokens (and as many hypernetworks and IoU outputs): SAMed's
         * semantic decoder, one token per class with background first. Medical-SAM-Adapter's returned-token count
         * is capped at the new count.
         */
        public Decoder withMaskTokens(int tokens) {
            return new Decoder(depth, heads, mlpDim, iouHeadDepth, iouHeadHiddenDim, tokens, attentionDownsampleRate,
                    Math.min(multimaskOutput, tokens));
        }

        /** segment-anything's decoder (and MobileSAM's): depth 2, 8 heads, MLP 2048, IoU head 3 x 256, 4 tokens. */
        public static Decoder published() {
            return new Decoder(2, 8, 2048, 3, 256, 4, 2, 1);
        }
    }

    /** This configuration with another decoder. */
    public SamConfig withDecoder(Decoder d) {
        return new SamConfig(imageSize, variant, encoder, promptEmbedDim, maskInChans, d);
    }

    /** SAM ViT-B ({@code sam_vit_b_01ec64.pth}): dim 768, depth 12, 12 heads, global blocks 2, 5, 8, 11. */
    public static SamConfig vitB(int imageSize, SamVariant variant) {
        return published(imageSize, variant, 768, 12, 12, List.of(2, 5, 8, 11));
    }

    /** SAM ViT-L ({@code sam_vit_l_0b3195.pth}): dim 1024, depth 24, 16 heads, global blocks 5, 11, 17, 23. */
    public static SamConfig vitL(int imageSize, SamVariant variant) {
        return published(imageSize, variant, 1024, 24, 16, List.of(5, 11, 17, 23));
    }

    /** SAM ViT-H ({@code sam_vit_h_4b8939.pth}): dim 1280, depth 32, 16 heads, global blocks 7, 15, 23, 31. */
    public static SamConfig vitH(int imageSize, SamVariant variant) {
        return published(imageSize, variant, 1280, 32, 16, List.of(7, 15, 23, 31));
    }

    // segment-anything's build_sam: patch 16, window 14, neck 256, prompt 256 with 16 mask channels.
    private static SamConfig published(int imageSize, SamVariant variant, int dim, int depth, int heads,
            List<Integer> global) {
        return new SamConfig(imageSize, variant,
                new Encoder(dim, depth, heads, 4f, 16, 14, global, 256, true, true, 1e-6f), 256, 16,
                Decoder.published());
    }

    /**
     * The reference fixture's small {@code -net sam} (Medical-SAM-Adapter, {@code fixtures/sam}): input 128, dim 64,
     * depth 2, 2 heads, window 5 (8x8 tokens padded to 10x10), block 1 global, neck 32; prompt 32 with 16 mask
     * channels; decoder depth 2, 2 heads, MLP 64, IoU head 3 x 32, 4 mask tokens, token 0 returned.
     */
    public static SamConfig fixture() {
        return new SamConfig(128, SamVariant.MSA,
                new Encoder(64, 2, 2, 4f, 16, 5, List.of(1), 32, true, true, 1e-6f), 32, 16,
                new Decoder(2, 2, 64, 3, 32, 4, 2, 1));
    }

    /** A preset by name (see {@link #PRESETS}) at its published input size 1024, in the given variant. */
    public static SamConfig preset(String name, SamVariant variant) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "sam-vit-b":
                return vitB(1024, variant);
            case "sam-vit-l":
                return vitL(1024, variant);
            case "sam-vit-h":
                return vitH(1024, variant);
            case "sam-fixture":
                return fixture();
            default:
                throw new IllegalArgumentException("unknown SAM preset '" + name + "'; known: " + PRESETS);
        }
    }

    /** Side of the image embedding. */
    public int embeddingSize() {
        return imageSize / encoder.patchSize();
    }

    public SamConfig withVariant(SamVariant v) {
        return new SamConfig(imageSize, v, encoder, promptEmbedDim, maskInChans, decoder);
    }
}
