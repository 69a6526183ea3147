package ai.peft4j.data.split;

/**
 * Relative sizes of train, val and test; only their proportions matter ({@code 6:2:2} and {@code 0.6:0.2:0.2}
 * are the same).
 */
public record SplitRatios(double train, double val, double test) {
    public SplitRatios {
        if (!(train > 0) || !(val >= 0) || !(test >= 0) || Double.isInfinite(train + val + test)) {
            throw new IllegalArgumentException("split ratios must be finite, train above 0 and val and test at "
                    + "least 0; got " + train + ":" + val + ":" + test);
        }
    }

    /** The published 6:2:2. */
    public static SplitRatios published() {
        return new SplitRatios(6, 2, 2);
    }

    /** Parses {@code train:val:test}, e.g. {@code 6:2:2} or {@code 0.7:0.2:0.1}. */
    public static SplitRatios parse(String text) {
        String[] parts = text.strip().split(":");
        if (parts.length != 3) {
            throw new IllegalArgumentException("split ratios are written train:val:test, e.g. 6:2:2; got '" + text
                    + "'");
        }
        try {
            return new SplitRatios(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]),
                    Double.parseDouble(parts[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("split ratios must be numbers, e.g. 6:2:2; got '" + text + "'");
        }
    }

    /** Share of train and val together: the published {@code trainval_percent}. */
    public double trainvalFraction() {
        return (train + val) / (train + val + test);
    }

    /**
     * Share of train within trainval, computed as the published {@code 0.6 / 0.8}: that quotient is
     * 0.7499999999999999 in floating point, so the published script and this one both give train one id fewer
     * than an exact 75 % would wherever 75 % of trainval is a whole number.
     */
    public double trainFractionOfTrainval() {
        double sum = train + val + test;
        return (train / sum) / trainvalFraction();
    }

    @Override
    public String toString() {
        return fmt(train) + ":" + fmt(val) + ":" + fmt(test);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
