package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;

/**
 * A promptable segmenter of the SAM family, as training and inference use it: images are encoded once, then each
 * image's prompt is decoded to one mask (the single-mask output the published training code trains: token 0).
 * As a {@link Layer} it is the prompt-free model: no sparse prompt, the decoder's mask upscaled to the input size.
 */
public interface PromptableSegmenter extends Layer {
    /** Side of the square input. */
    int imageSize();

    /** The image embeddings {@code [B, C, h, w]} of images {@code [B, 3, S, S]}. */
    NDArray encodeImage(NDArray images);

    /**
     * Low-res mask logits {@code [B, 1, 4h, 4w]} for one prompt per embedding row: {@code prompts} holds either
     * points {@code [B, N, 2]} with labels {@code [B, N]} or boxes {@code [B, 4]} in input pixels, or nothing (the
     * prompt-free mask).
     */
    NDArray maskLogits(NDArray imageEmbeddings, Prompts prompts);

    /** How many mask tokens the decoder has: its outputs for {@link #promptFreeMasks}. */
    int maskTokens();

    /**
     * Every mask token's low-res logits {@code [B, T, 4h, 4w]} with no prompt (the empty sparse prompt, and the
     * no-mask dense embedding where the model has one): SAMed's semantic output, one token per class.
     */
    NDArray promptFreeMasks(NDArray imageEmbeddings);

    /** Low-res logits bilinearly (align_corners off) to the input size, as {@code postprocess_masks} begins. */
    default NDArray toInputSize(NDArray lowRes) {
        return ai.peft4j.core.tensor.Resize.bilinear(lowRes, imageSize(), imageSize(), false);
    }

    /** The prompt-free mask logits {@code [B, 1, S, S]} of images {@code [B, 3, S, S]}. */
    @Override
    default NDArray forward(NDArray images) {
        return toInputSize(maskLogits(encodeImage(images), new Prompts(null, null, null, null)));
    }
}
