package ai.peft4j.train.metrics;

import java.io.Serializable;
import java.util.Locale;

/**
 * How much predicted defect makes a part defective: a part is rejected when the predicted area of some defect class
 * exceeds this threshold, in pixels or as a share of the image.
 *
 * @param value pixels, or a fraction of the image's pixels in [0, 1) when {@code share}
 * @param share whether {@code value} is a fraction of the image
 */
public record VerdictThreshold(double value, boolean share) implements Serializable {
    /** Any predicted defect pixel rejects the part: the inspection line's strictest reading of a mask. */
    public static final VerdictThreshold ANY_PIXEL = new VerdictThreshold(0, false);

    public VerdictThreshold {
        if (!(value >= 0) || Double.isInfinite(value) || (share && value >= 1)) {
            throw new IllegalArgumentException("a verdict threshold must be a number of pixels >= 0 or a percentage"
                    + " in [0, 100), got " + (share ? 100 * value + "%" : value));
        }
    }

    /** {@code 50} (pixels) or {@code 0.1%} (of the image's pixels). */
    public static VerdictThreshold parse(String text) {
        String t = text.strip();
        boolean percent = t.endsWith("%");
        try {
            double v = Double.parseDouble(percent ? t.substring(0, t.length() - 1).strip() : t);
            if (!(v >= 0) || Double.isInfinite(v) || (percent && v >= 100)) {
                throw new NumberFormatException();
            }
            return percent ? new VerdictThreshold(v / 100, true) : new VerdictThreshold(v, false);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("verdict threshold '" + text + "' is not a number of pixels >= 0 "
                    + "(e.g. 50) or a percentage of the image in [0, 100) (e.g. 0.1%)");
        }
    }

    /** The same unit with another value. */
    VerdictThreshold with(double v) {
        return new VerdictThreshold(v, share);
    }

    @Override
    public String toString() {
        return share ? String.format(Locale.ROOT, "%s%%", trim(100 * value)) : trim(value) + " px";
    }

    private static String trim(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
