package ai.peft4j.infer.video;

import ai.peft4j.data.image.RgbImage;

/**
 * One decoded frame.
 *
 * @param index position in the source, from 0
 * @param name what the outputs of this frame are named after: the image's file name without extension for a
 *     folder, {@code frame-000042} for a video
 * @param seconds presentation time in the source (index / fps for a folder)
 * @param image the pixels
 */
public record Frame(long index, String name, double seconds, RgbImage image) {
    /** The name a video frame gets. */
    public static String videoName(long index) {
        return String.format(java.util.Locale.ROOT, "frame-%06d", index);
    }
}
