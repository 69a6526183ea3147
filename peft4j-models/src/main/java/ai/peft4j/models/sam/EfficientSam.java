package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;

/**
 * EfficientSAM as Medical-SAM-Adapter builds it ({@code -net efficient_sam}): a plain global-attention ViT
 * encoder with SAM's neck, {@link EfficientSamPromptEncoder} and {@link EfficientSamMaskDecoder}, under the
 * published names. Images go into the encoder as they are, as in the published training code.
 */
public class EfficientSam extends Module implements PromptableSegmenter {
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

    @Override
    public int imageSize() {
        return config.imageSize();
    }

    /** The image embeddings {@code [B, C, h, w]}. */
    @Override
    public NDArray encodeImage(NDArray images) {
        return call("image_encoder", images);
    }

    /** Masks and IoUs for points {@code [B, N, 2]} with labels {@code [B, N]}, already in the encoder's frame. */
    public MaskPrediction predict(NDArray imageEmbeddings, NDArray points, NDArray labels, boolean multimask) {
        NDArray sparse = promptEncoder().forward(points, labels);
        NDArray pe = promptEncoder().densePositionalEncoding(imageEmbeddings.getManager());
        return maskDecoder().forward(imageEmbeddings, pe, sparse, multimask);
    }

    /**
     * Token 0's low-res logits. Boxes become their two corners with labels 2 and 3, and every prompt is padded to
     * {@code maxPoints} with {@code (-1, -1)} and label -1 as the published decoder's input is; no prompt is all
     * padding, which is what the published encoder then sees. Coordinates stay in input pixels (the published
     * training path's rescaling by {@code 1024 / size} is not applied, see
     * {@link EfficientSamPromptEncoder#publishedTrainingPrompt}).
     */
    @Override
    public int maskTokens() {
        return config.decoder().numMaskTokens();
    }

    /** Every token with all prompt points padding, which is EfficientSAM's no prompt. */
    @Override
    public NDArray promptFreeMasks(NDArray imageEmbeddings) {
        NDManager m = imageEmbeddings.getManager();
        long b = imageEmbeddings.getShape().get(0);
        int max = config.maxPoints();
        NDArray sparse = promptEncoder().forward(m.full(new Shape(b, max, 2), -1f), m.full(new Shape(b, max), -1f));
        return maskDecoder().predictMasks(imageEmbeddings, promptEncoder().densePositionalEncoding(m), sparse)
                .masks();
    }

    @Override
    public NDArray maskLogits(NDArray imageEmbeddings, Prompts prompts) {
        NDManager m = imageEmbeddings.getManager();
        long b = imageEmbeddings.getShape().get(0);
        NDArray points;
        NDArray labels;
        if (prompts.boxes() != null) {
            points = prompts.boxes().toType(DataType.FLOAT32, false).reshape(b, 2, 2);
            labels = m.create(new float[] {2f, 3f}).reshape(1, 2).repeat(0, b);
        } else if (prompts.points() != null) {
            points = prompts.points().toType(DataType.FLOAT32, false);
            labels = prompts.labels().toType(DataType.FLOAT32, false);
        } else {
            points = m.zeros(new Shape(b, 0, 2), DataType.FLOAT32);
            labels = m.zeros(new Shape(b, 0), DataType.FLOAT32);
        }
        long n = points.getShape().get(1);
        int max = config.maxPoints();
        if (n > max) {
            throw new IllegalArgumentException("EfficientSAM takes at most " + max + " points per prompt, got " + n);
        }
        if (n < max) {
            points = points.concat(m.full(new Shape(b, max - n, 2), -1f), 1);
            labels = labels.concat(m.full(new Shape(b, max - n), -1f), 1);
        }
        return predict(imageEmbeddings, points, labels, false).masks().get(":, 0:1");
    }
}
