package ai.peft4j.core.metrics;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Pixel counts by ground truth (rows) and prediction (columns), accumulated over images as the published
 * {@code fast_hist}: pixels whose ground truth lies outside {@code [0, n)} (the ignore label among them) are not
 * counted. Per-class ratios divide by {@code max(denominator, 1)}, so a class absent from both ground truth and
 * prediction scores 0, never NaN, and pulls the mean down: the published means are {@code nanmean}s over all classes
 * (background included) that, under that convention, never meet a NaN.
 */
public final class ConfusionMatrix implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int n;
    private final long[] counts;

    public ConfusionMatrix(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("a confusion matrix needs at least one class, got " + numClasses);
        }
        this.n = numClasses;
        this.counts = new long[numClasses * numClasses];
    }

    public int numClasses() {
        return n;
    }

    /** Adds the pixels of one image or batch; {@code gt} and {@code pred} are class ids of equal length. */
    public void add(int[] gt, int[] pred) {
        if (gt.length != pred.length) {
            throw new IllegalArgumentException("ground truth has " + gt.length + " pixels, prediction "
                    + pred.length);
        }
        for (int i = 0; i < gt.length; i++) {
            int g = gt[i];
            if (g < 0 || g >= n) {
                continue;
            }
            int p = pred[i];
            if (p < 0 || p >= n) {
                throw new IllegalArgumentException("prediction " + p + " at pixel " + i + " is not a class id in [0, "
                        + n + ")");
            }
            counts[g * n + p]++;
        }
    }

    /** Adds another matrix's counts (e.g. from a parallel evaluation). */
    public void add(ConfusionMatrix other) {
        if (other.n != n) {
            throw new IllegalArgumentException("cannot add a " + other.n + "-class matrix to a " + n + "-class one");
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
    }

    /** Pixels of true class {@code gt} predicted as {@code pred}. */
    public long count(int gt, int pred) {
        return counts[gt * n + pred];
    }

    public long total() {
        return Arrays.stream(counts).sum();
    }

    private long diag(int c) {
        return counts[c * n + c];
    }

    private long row(int c) {
        long s = 0;
        for (int j = 0; j < n; j++) {
            s += counts[c * n + j];
        }
        return s;
    }

    private long col(int c) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += counts[i * n + c];
        }
        return s;
    }

    /**
     * The classes that occur in the ground truth but are never predicted, in order: the sign of a model that has
     * not yet learnt them (a segmenter that calls every pixel background lists every defect class here).
     */
    public int[] neverPredicted() {
        return java.util.stream.IntStream.range(0, n).filter(c -> row(c) > 0 && col(c) == 0).toArray();
    }

    /** {@code diag / max(row + col - diag, 1)} per class. */
    public double[] iou() {
        double[] out = new double[n];
        for (int c = 0; c < n; c++) {
            out[c] = diag(c) / (double) Math.max(row(c) + col(c) - diag(c), 1);
        }
        return out;
    }

    /** Recall, the published "PA": {@code diag / max(row, 1)}. */
    public double[] recall() {
        double[] out = new double[n];
        for (int c = 0; c < n; c++) {
            out[c] = diag(c) / (double) Math.max(row(c), 1);
        }
        return out;
    }

    /** {@code diag / max(col, 1)}. */
    public double[] precision() {
        double[] out = new double[n];
        for (int c = 0; c < n; c++) {
            out[c] = diag(c) / (double) Math.max(col(c), 1);
        }
        return out;
    }

    /** Dice (F1) per class, {@code 2 diag / max(row + col, 1)}, under the same convention. */
    public double[] dice() {
        double[] out = new double[n];
        for (int c = 0; c < n; c++) {
            out[c] = 2.0 * diag(c) / Math.max(row(c) + col(c), 1);
        }
        return out;
    }

    /** Correct pixels over counted pixels: {@code trace / max(total, 1)}. */
    public double accuracy() {
        long trace = 0;
        for (int c = 0; c < n; c++) {
            trace += diag(c);
        }
        return trace / (double) Math.max(total(), 1);
    }

    /** All metrics at once. */
    public SegmentationScores scores() {
        double[] iou = iou();
        double[] recall = recall();
        double[] precision = precision();
        double[] dice = dice();
        return new SegmentationScores(nanMean(iou), nanMean(recall), nanMean(precision), accuracy(), nanMean(dice),
                iou, recall, precision, dice);
    }

    /** numpy's {@code nanmean}: the mean of the values that are not NaN (NaN when none is). */
    static double nanMean(double[] values) {
        double sum = 0;
        int k = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                sum += v;
                k++;
            }
        }
        return k == 0 ? Double.NaN : sum / k;
    }

    /** Rows of counts, for reports ({@code confusion_matrix.csv}). */
    public long[][] toArray() {
        long[][] out = new long[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(counts, i * n, out[i], 0, n);
        }
        return out;
    }
}
