package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import java.util.Map;

/**
 * A promptable segmenter used as a semantic segmenter, as SAMed does: no prompt (the empty sparse prompt and the
 * no-mask dense embedding), and every mask token of the decoder is one class's logits, background first. The
 * decoder is built with one token per class ({@code ModelSpec.buildPromptable(manager, size, classes)}).
 *
 * <p>The view holds the segmenter's own children under their own names, so its state dict, its parameters and
 * what a fine-tuning method attaches are the segmenter's: checkpoints of the two load into each other.
 */
public final class PromptFreeClasses extends Module implements Layer {
    private final PromptableSegmenter segmenter;

    public PromptFreeClasses(PromptableSegmenter segmenter) {
        Module m = (Module) segmenter;
        if (!m.namedParameters().keySet().stream().allMatch(n -> n.contains("."))
                || !m.namedBuffers().keySet().stream().allMatch(n -> n.contains("."))) {
            throw new IllegalArgumentException(m.getClass().getSimpleName() + " holds tensors of its own; only its "
                    + "children can be shared");
        }
        this.segmenter = segmenter;
        for (Map.Entry<String, Module> e : m.children().entrySet()) {
            addModule(e.getKey(), e.getValue());
        }
        train(m.isTraining());
    }

    /** The segmenter whose children this view shares (prompts still work on it). */
    public PromptableSegmenter segmenter() {
        return segmenter;
    }

    /** Classes: the decoder's mask tokens. */
    public int classes() {
        return segmenter.maskTokens();
    }

    /** Class logits {@code [B, K, S, S]} of images {@code [B, 3, S, S]}: every token's mask at the input size. */
    @Override
    public NDArray forward(NDArray images) {
        return segmenter.toInputSize(segmenter.promptFreeMasks(segmenter.encodeImage(images)));
    }
}
