package ai.peft4j.data;

import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.data.image.Palette;
import java.nio.file.Path;
import java.util.Map;

/**
 * How a VOC-style mask file's values become class ids: a single-channel value is the class id; values at or above
 * the class count are refused or become the ignore label; colour masks are read through a palette only when one is
 * given for that purpose.
 *
 * @param numClasses classes, background included
 * @param outOfRange what to do with a value that is not a class id
 * @param colourPalette the palette to read RGB(A) masks through, or null to refuse colour masks
 */
public record MaskValues(int numClasses, OutOfRangeLabels outOfRange, Palette colourPalette) {
    public MaskValues {
        if (numClasses < 1 || numClasses > 255) {
            throw new IllegalArgumentException("a mask holds 1 to 255 classes, got " + numClasses);
        }
        if (outOfRange == null) {
            outOfRange = OutOfRangeLabels.ERROR;
        }
    }

    /** Class ids of a mask; adds the pixels mapped to the ignore label to {@code ignored[0]} when given. */
    public int[] classIds(MaskRaster raw, Path file, long[] ignored) {
        int[] v = raw.values();
        int[] ids = new int[v.length];
        if (raw.colour()) {
            if (colourPalette == null) {
                throw new DataException(file, "mask has " + raw.channels() + " channels (a colour mask); expected "
                        + "one channel of class ids (an 8-bit index or grey PNG), or enable colour masks to read "
                        + "colours through the palette");
            }
            Map<Integer, Integer> byColour = colourPalette.idsByColour();
            for (int i = 0; i < v.length; i++) {
                Integer id = byColour.get(v[i]);
                if (id == null) {
                    int x = i % raw.width();
                    int y = i / raw.width();
                    throw new DataException(file, "mask colour (" + (v[i] >> 16) + ", " + (v[i] >> 8 & 0xFF) + ", "
                            + (v[i] & 0xFF) + ") at x=" + x + ", y=" + y + " is not a class colour of the palette");
                }
                ids[i] = id;
            }
        } else {
            System.arraycopy(v, 0, ids, 0, v.length);
        }
        long count = 0;
        int first = -1;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= numClasses) {
                if (first < 0) {
                    first = i;
                }
                count++;
            }
        }
        if (count == 0) {
            return ids;
        }
        if (outOfRange == OutOfRangeLabels.ERROR) {
            boolean binaryLooking = numClasses == 2 && !raw.colour() && ids[first] >= 128;
            throw new DataException(file, "mask value " + ids[first] + " at x=" + first % raw.width() + ", y="
                    + first / raw.width() + " is not a class id (" + count + " such pixels); the "
                    + numClasses + " classes are 0-" + (numClasses - 1) + (binaryLooking
                            ? ". This looks like a binary mask (defect bright, background dark): read the masks as "
                            + "binary (binary_masks: true in the run file's data section)"
                            : ". Fix the class list, or map such values to the ignore label " + numClasses));
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= numClasses) {
                ids[i] = numClasses;
            }
        }
        if (ignored != null) {
            ignored[0] += count;
        }
        return ids;
    }
}
