package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.models.tinyvit.TinyVit;
import ai.peft4j.models.tinyvit.TinyVitConfig;

/**
 * Segment Anything: {@code image_encoder}, {@code prompt_encoder} and {@code mask_decoder}, with segment-anything's
 * state-dict names (or Medical-SAM-Adapter's, see {@link SamVariant}). Images go into the encoder as they are: the
 * published training code never calls {@code Sam.preprocess} (normalisation and padding), so neither does this.
 */
public class Sam extends Module implements PromptableSegmenter {
    private final int imageSize;

    /** SAM with a ViT image encoder. */
    public Sam(NDManager manager, SamConfig config) {
        this(new ImageEncoderVit(manager, config),
                new PromptEncoder(manager, config.promptEmbedDim(), config.embeddingSize(), config.imageSize(),
                        config.maskInChans()),
                new MaskDecoder(manager, config.promptEmbedDim(), config.decoder(), config.variant()),
                config.imageSize());
    }

    /**
     * MobileSAM as Medical-SAM-Adapter builds it ({@code -net mobile_sam}, MobileSAMv2's {@code build_sam_vit_t}): a
     * TinyViT encoder, then segment-anything's prompt encoder (256 wide, 16 mask channels) and mask decoder, with
     * segment-anything's names and arithmetic. Every key of the original {@code mobile_sam.pt} loads by name.
     */
    public static Sam mobileSam(NDManager manager, TinyVitConfig encoder, SamConfig.Decoder decoder) {
        int dim = encoder.neckChannels();
        return new Sam(new TinyVit(manager, encoder),
                new PromptEncoder(manager, dim, encoder.imageSize() / 16, encoder.imageSize(), 16),
                new MaskDecoder(manager, dim, decoder, SamVariant.ORIGINAL), encoder.imageSize());
    }

    /** SAM with any image encoder that maps {@code [B, 3, S, S]} to {@code [B, C, S / 16, S / 16]}. */
    public Sam(Module imageEncoder, PromptEncoder promptEncoder, MaskDecoder maskDecoder, int imageSize) {
        if (!(imageEncoder instanceof Layer)) {
            throw new IllegalArgumentException(imageEncoder + " is not a one-input layer");
        }
        this.imageSize = imageSize;
        registerModule("image_encoder", imageEncoder);
        registerModule("prompt_encoder", promptEncoder);
        registerModule("mask_decoder", maskDecoder);
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    public PromptEncoder promptEncoder() {
        return (PromptEncoder) child("prompt_encoder");
    }

    public MaskDecoder maskDecoder() {
        return (MaskDecoder) child("mask_decoder");
    }

    /** The image embeddings {@code [B, C, h, w]} of images {@code [B, 3, S, S]}. */
    @Override
    public NDArray encodeImage(NDArray images) {
        return call("image_encoder", images);
    }

    /** Low-res masks and IoUs for the prompts on already encoded images, as the decoder returns them. */
    public MaskPrediction predict(NDArray imageEmbeddings, Prompts prompts, boolean multimask) {
        PromptEmbeddings p = promptEncoder().forward(prompts);
        NDArray pe = promptEncoder().densePositionalEncoding(imageEmbeddings.getManager());
        return maskDecoder().forward(imageEmbeddings, pe, p, multimask);
    }

    /**
     * Token 0's low-res logits, the mask the published training uses. Without points and boxes the sparse prompt is
     * empty ({@code [B, 0, C]}, as segment-anything's prompt encoder returns it for no prompt) and the dense one is
     * {@code no_mask_embed}: the prompt-free mask.
     */
    @Override
    public NDArray maskLogits(NDArray imageEmbeddings, Prompts prompts) {
        PromptEmbeddings p = prompts.points() == null && prompts.boxes() == null && prompts.masks() == null
                ? promptEncoder().empty(imageEmbeddings.getShape().get(0), imageEmbeddings.getManager())
                : promptEncoder().forward(prompts);
        NDArray pe = promptEncoder().densePositionalEncoding(imageEmbeddings.getManager());
        return maskDecoder().forward(imageEmbeddings, pe, p, false).masks().get(":, 0:1");
    }

    @Override
    public int maskTokens() {
        return maskDecoder().numMaskTokens();
    }

    @Override
    public NDArray promptFreeMasks(NDArray imageEmbeddings) {
        NDManager m = imageEmbeddings.getManager();
        PromptEmbeddings p = promptEncoder().empty(imageEmbeddings.getShape().get(0), m);
        return maskDecoder().predictMasks(imageEmbeddings, promptEncoder().densePositionalEncoding(m), p).masks();
    }

    /**
     * {@code postprocess_masks}: low-res logits bilinearly (align_corners off) to the square input size, cropped to
     * the {@code inputH x inputW} part the image filled, then bilinearly to the original image size. Threshold the
     * result at 0 for binary masks.
     */
    public NDArray postprocessMasks(NDArray masks, int inputH, int inputW, int originalH, int originalW) {
        NDArray m = Resize.bilinear(masks, imageSize, imageSize, false);
        m = m.get(":, :, :" + inputH + ", :" + inputW);
        return Resize.bilinear(m, originalH, originalW, false);
    }
}
