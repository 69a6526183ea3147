package ai.peft4j.train.promptable;

import java.util.Locale;

/** What a promptable segmenter is told about each defect region. */
public enum PromptMode {
    /**
     * One click at a random pixel of the region, label 1 (Medical-SAM-Adapter's {@code random_click}, the published
     * training prompt); an image without a defect gets a click at a random background pixel, label 0, and an empty
     * target, as {@code random_click} does on an empty mask.
     */
    POINT,
    /**
     * The region's bounding box (first and last pixel of each axis, no jitter: the published training uses clicks,
     * and REFERENCE.md section 3 gives no box jitter); an image without a defect gets the whole-image box and an
     * empty target.
     */
    BOX,
    /**
     * No prompt: an empty sparse prompt and the no-mask dense embedding (segment-anything's prompt encoder with
     * neither points nor boxes), one mask for all defect pixels of the image. What a production line without
     * ground truth runs.
     */
    NONE;

    public static PromptMode parse(String s) {
        try {
            return valueOf(s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("prompt mode must be point, box or none, got '" + s + "'", e);
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
