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
 */
public record VocConfig(List<String> classNames, Palette palette, OutOfRangeLabels outOfRange,
        boolean colourMasks) {
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
    }

    /** The given classes with the defaults: VOC palette, out-of-range values refused, colour masks refused. */
    public static VocConfig of(String... classNames) {
        return new VocConfig(List.of(classNames), null, null, false);
    }

    public VocConfig withOutOfRange(OutOfRangeLabels policy) {
        return new VocConfig(classNames, palette, policy, colourMasks);
    }

    public VocConfig withColourMasks(boolean enabled) {
        return new VocConfig(classNames, palette, outOfRange, enabled);
    }
}
