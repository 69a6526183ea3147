package ai.peft4j.train.promptable;

/**
 * One prompt and the binary mask it asks for, in the pixels of its image.
 *
 * @param mode the kind of prompt
 * @param coords a click {@code (x, y)} or a box {@code (x0, y0, x1, y1)} (inclusive pixel indices), empty for none
 * @param label the click's label (1 inside a defect, 0 background); unused for boxes and none
 * @param target 1 where the prompt's mask is, 0 elsewhere, 2 where the pixel is ignored; row-major
 */
public record MaskPrompt(PromptMode mode, float[] coords, int label, int[] target) {
    public MaskPrompt {
        int expected = mode == PromptMode.POINT ? 2 : mode == PromptMode.BOX ? 4 : 0;
        if (coords.length != expected) {
            throw new IllegalArgumentException(mode.id() + " prompt takes " + expected + " coordinates, got "
                    + coords.length);
        }
        if (mode == PromptMode.POINT && label != 0 && label != 1) {
            throw new IllegalArgumentException("a click's label is 1 (defect) or 0 (background), got " + label);
        }
    }

    /** A click at pixel {@code (x, y)} of the image, label 1 (a defect there) or 0 (background there), no target. */
    public static MaskPrompt point(float x, float y, int label) {
        return new MaskPrompt(PromptMode.POINT, new float[] {x, y}, label, new int[0]);
    }

    /** A box with inclusive pixel corners {@code (x0, y0)} top-left and {@code (x1, y1)} bottom-right, no target. */
    public static MaskPrompt box(float x0, float y0, float x1, float y1) {
        return new MaskPrompt(PromptMode.BOX, new float[] {x0, y0, x1, y1}, 1, new int[0]);
    }

    /** No prompt: the prompt-free mask, no target. */
    public static MaskPrompt none() {
        return new MaskPrompt(PromptMode.NONE, new float[0], 0, new int[0]);
    }
}
