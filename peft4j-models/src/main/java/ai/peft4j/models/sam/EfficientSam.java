package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Module;

/**
 * EfficientSAM as Medical-SAM-Adapter builds it ({@code -net efficient_sam}): a plain global-attention ViT
 * encoder with SAM's neck, {@link EfficientSamPromptEncoder} and {@link EfficientSamMaskDecoder}, under the
 * published names. Images go into the encoder as they are, as in the published training code.
 */
public class EfficientSam extends Module {
    private final EfficientSamConfig config;

    public EfficientSam(NDManager manager, EfficientSamConfig config) {
        this.config = config;
        registerModule("image_encoder", new ImageEncoderVit(manager, config.encoder(), config.imageSize(),
                SamVariant.MSA));
        registerModule("prompt_encoder", new EfficientSamPromptEncoder(manager, config.embedDim(),
                config.embeddingSize(), config.imageSize()));
        registerModule("mask_decoder", new EfficientSamMaskDecoder(manager, config.embedDim(), config.decoder(),
                config.upscalingDims()));
    }

    public EfficientSamConfig config() {
        return config;
    }

    public EfficientSamPromptEncoder promptEncoder() {
        return (EfficientSamPromptEncoder) child("prompt_encoder");
    }

    public EfficientSamMaskDecoder maskDecoder() {
        return (EfficientSamMaskDecoder) child("mask_decoder");
    }

    /** The image embeddings {@code [B, C, h, w]}. */
    public NDArray encodeImage(NDArray images) {
        return call("image_encoder", images);
    }

    /** Masks and IoUs for points {@code [B, N, 2]} with labels {@code [B, N]}, already in the encoder's frame. */
    public MaskPrediction predict(NDArray imageEmbeddings, NDArray points, NDArray labels, boolean multimask) {
        NDArray sparse = promptEncoder().forward(points, labels);
        NDArray pe = promptEncoder().densePositionalEncoding(imageEmbeddings.getManager());
        return maskDecoder().forward(imageEmbeddings, pe, sparse, multimask);
    }
}
