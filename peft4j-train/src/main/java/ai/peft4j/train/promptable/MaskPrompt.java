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
    }
}
