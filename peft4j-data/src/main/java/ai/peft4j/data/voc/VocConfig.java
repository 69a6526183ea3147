package ai.peft4j.data.voc;

import ai.peft4j.data.OutOfRangeLabels;
import ai.peft4j.data.image.Palette;
import java.util.List;

/**
 * How to read a VOC-layout data set.
 *
 * @param classNames class names by id, background first; their count is the class count
 * @param palette class colours (default: the VOC colour map)
 * @param outOfRange mask values at or above the class count: refused (default) or mapped to the ignore label
 * @param colourMasks whether RGB(A) masks are read through the palette (default: refused, as the published
 *     loader would misread them)
 * @param binaryThreshold 0 (the default) when a mask's values are class ids; otherwise masks are binary, as many
 *     defect data sets ship them (0 and 255, anti-aliased, JPEG, 1-bit or 16-bit, grey or colour): a pixel is
 *     class 1 where its brightest channel is at least this (1-255), else background; needs exactly two classes
 */
public record VocConfig(List<String> classNames, Palette palette, OutOfRangeLabels outOfRange,
        boolean colourMasks, int binaryThreshold) {
    public VocConfig {
        classNames = List.copyOf(classNames);
        if (classNames.isEmpty()) {
            throw new IllegalArgumentException("a VOC data set needs its class names, background first");
        }
        if (palette == null) {
            palette = Palette.voc();
        }
        if (outOfRange == null) {
            outOfRange = OutOfRangeLabels.ERROR;
        }
        if (binaryThreshold < 0 || binaryThreshold > 255) {
            throw new IllegalArgumentException("the binary mask threshold must lie in 1-255 (0 for masks of class "
                    + "ids), got " + binaryThreshold);
        }
        if (binaryThreshold > 0 && classNames.size() != 2) {
            throw new IllegalArgumentException("binary masks hold two classes (background and one defect class), "
                    + "but " + classNames.size() + " class names are given: " + classNames);
        }
        if (binaryThreshold > 0 && colourMasks) {
            throw new IllegalArgumentException("binary masks are read by brightness, colour masks through the "
                    + "palette: choose one");
        }
    }

    /** Masks of class ids. */
    public VocConfig(List<String> classNames, Palette palette, OutOfRangeLabels outOfRange, boolean colourMasks) {
        this(classNames, palette, outOfRange, colourMasks, 0);
    }

    /** Whether masks are binary (read by brightness against {@link #binaryThreshold()}). */
    public boolean binaryMasks() {
        return binaryThreshold > 0;
    }

    /** The given classes with the defaults: VOC palette, out-of-range values refused, colour masks refused. */
    public static VocConfig of(String... classNames) {
        return new VocConfig(List.of(classNames), null, null, false);
    }

    public VocConfig withOutOfRange(OutOfRangeLabels policy) {
        return new VocConfig(classNames, palette, policy, colourMasks, binaryThreshold);
    }

    public VocConfig withColourMasks(boolean enabled) {
        return new VocConfig(classNames, palette, outOfRange, enabled, binaryThreshold);
    }

    /** Binary masks: class 1 where a pixel's brightest channel is at least {@code threshold}; 0 for class ids. */
    public VocConfig withBinaryThreshold(int threshold) {
        return new VocConfig(classNames, palette, outOfRange, colourMasks, threshold);
    }
}
