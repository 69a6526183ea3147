package ai.peft4j.infer.segment;

import ai.peft4j.data.transform.Letterbox;

/**
 * A frame prepared for a model: letterboxed, channels first, divided by 255, with where the frame landed so the
 * prediction can be cut back out.
 *
 * @param pixels {@code [3, height, width]} flattened
 * @param width model input columns
 * @param height model input rows
 * @param placement the frame's place in the letterbox
 * @param frameWidth the frame's own columns
 * @param frameHeight the frame's own rows
 */
public record ModelInput(float[] pixels, int width, int height, Letterbox.Placement placement, int frameWidth,
        int frameHeight) {
    public ModelInput {
        if (pixels.length != 3 * width * height) {
            throw new IllegalArgumentException("a 3x" + height + "x" + width + " input needs " + 3 * width * height
                    + " values, got " + pixels.length);
        }
    }
}
