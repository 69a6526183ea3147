package ai.peft4j.train.metrics;

import ai.peft4j.core.metrics.ClassRegions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pass/fail per part, accumulated one image at a time: an image is predicted defective when the largest predicted
 * area of a defect class (every class but background 0) exceeds the {@link VerdictThreshold}, and is defective in
 * truth when its ground truth has a defect pixel. The predicted area counts every pixel of the prediction, the
 * ground truth's ignore-label pixels included, as a line that knows no ignore mask would. Per image only that area
 * and the truth are kept, so memory grows by a few bytes per image, not by its pixels.
 *
 * <p>Also counts, per defect class, the ground-truth instances (8-connected regions of that class) hit by at least
 * one predicted pixel of the same class.
 *
 * <p>Serializable and mergeable ({@link #add(ImageVerdicts)}), so partitions of a distributed evaluation can each
 * keep one and combine them in any order.
 */
public final class ImageVerdicts implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int n;
    private final VerdictThreshold threshold;
    private double[] scores = new double[64];
    private boolean[] truth = new boolean[64];
    private int images;
    private final long[] instances;
    private final long[] hit;

    public ImageVerdicts(int numClasses, VerdictThreshold threshold) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("image verdicts need at least one class, got " + numClasses);
        }
        this.n = numClasses;
        this.threshold = threshold;
        this.instances = new long[numClasses];
        this.hit = new long[numClasses];
    }

    /**
     * Adds one image; {@code gt} and {@code pred} are its class ids, row-major, {@code width} columns. Ground truth
     * outside {@code [0, n)} (the ignore label) is neither defect nor background.
     */
    public void add(int[] gt, int[] pred, int width) {
        if (gt.length != pred.length) {
            throw new IllegalArgumentException("ground truth has " + gt.length + " pixels, prediction "
                    + pred.length);
        }
        if (width < 1 || gt.length % width != 0 || gt.length == 0) {
            throw new IllegalArgumentException(gt.length + " pixels do not make rows of " + width);
        }
        long[] area = new long[n];
        boolean defective = false;
        for (int i = 0; i < pred.length; i++) {
            int p = pred[i];
            if (p < 0 || p >= n) {
                throw new IllegalArgumentException("prediction " + p + " at pixel " + i + " is not a class id in "
                        + "[0, " + n + ")");
            }
            area[p]++;
            defective |= gt[i] >= 1 && gt[i] < n;
        }
        long largest = 0;
        for (int c = 1; c < n; c++) {
            largest = Math.max(largest, area[c]);
        }
        if (images == scores.length) {
            scores = Arrays.copyOf(scores, 2 * images);
            truth = Arrays.copyOf(truth, 2 * images);
        }
        scores[images] = threshold.share() ? largest / (double) pred.length : largest;
        truth[images] = defective;
        images++;
        if (defective) {
            ClassRegions regions = ClassRegions.of(gt, width, gt.length / width, 1, n);
            boolean[] found = new boolean[regions.count()];
            for (int i = 0; i < gt.length; i++) {
                int r = regions.regionAt(i);
                if (r >= 0 && pred[i] == gt[i]) {
                    found[r] = true;
                }
            }
            for (int r = 0; r < found.length; r++) {
                instances[regions.classId(r)]++;
                if (found[r]) {
                    hit[regions.classId(r)]++;
                }
            }
        }
    }

    /**
     * Adds the images of another tally with the same classes and threshold: the scores do not depend on the order
     * in which images were added (ties in the curve are walked as one point), so merging is associative.
     */
    public void add(ImageVerdicts other) {
        if (other.n != n || !other.threshold.equals(threshold)) {
            throw new IllegalArgumentException("cannot merge verdicts of " + other.n + " classes above "
                    + other.threshold + " into verdicts of " + n + " classes above " + threshold);
        }
        if (images + other.images > scores.length) {
            int size = Math.max(2 * scores.length, images + other.images);
            scores = Arrays.copyOf(scores, size);
            truth = Arrays.copyOf(truth, size);
        }
        System.arraycopy(other.scores, 0, scores, images, other.images);
        System.arraycopy(other.truth, 0, truth, images, other.images);
        images += other.images;
        for (int c = 0; c < n; c++) {
            instances[c] += other.instances[c];
            hit[c] += other.hit[c];
        }
    }

    public int images() {
        return images;
    }

    /** The scores over the images added so far. */
    public VerdictScores scores() {
        int positives = 0;
        for (int i = 0; i < images; i++) {
            positives += truth[i] ? 1 : 0;
        }
        // At the threshold in use.
        int tp = 0;
        int fp = 0;
        for (int i = 0; i < images; i++) {
            if (scores[i] > threshold.value()) {
                tp += truth[i] ? 1 : 0;
                fp += truth[i] ? 0 : 1;
            }
        }
        double precision = tp / (double) Math.max(tp + fp, 1);
        double recall = tp / (double) Math.max(positives, 1);

        // The curve as sklearn's precision_recall_curve: one point per distinct score s, parts scoring at least s
        // called defective, walked from the highest s down.
        Integer[] order = new Integer[images];
        for (int i = 0; i < images; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        List<VerdictScores.Point> curve = new ArrayList<>();
        int ctp = 0;
        int cfp = 0;
        double ap = 0;
        double lastRecall = 0;
        double bestF1 = -1;
        VerdictThreshold best = threshold.with(0);
        for (int k = 0; k < images; k++) {
            int i = order[k];
            ctp += truth[i] ? 1 : 0;
            cfp += truth[i] ? 0 : 1;
            if (k + 1 < images && scores[order[k + 1]] == scores[i]) {
                continue;
            }
            double s = scores[i];
            double p = ctp / (double) (ctp + cfp);
            double r = ctp / (double) Math.max(positives, 1);
            // The verdict threshold giving this point is the next lower score (or 0): "> that" is ">= s" here.
            double below = k + 1 < images ? scores[order[k + 1]] : 0;
            Double t = s > 0 ? below : null;
            curve.add(new VerdictScores.Point(s, t, p, r));
            ap += (r - lastRecall) * p;
            lastRecall = r;
            double f1 = f1(p, r);
            // Only thresholds the option accepts (>= 0); ties keep the stricter (higher) threshold.
            if (t != null && f1 > bestF1) {
                bestF1 = f1;
                best = threshold.with(t);
            }
        }
        if (bestF1 < 0) {
            bestF1 = 0;
        }
        double[] instanceRecall = new double[n];
        for (int c = 0; c < n; c++) {
            instanceRecall[c] = instances[c] == 0 ? Double.NaN : hit[c] / (double) instances[c];
        }
        return new VerdictScores(threshold, images, positives, tp, fp, precision, recall, f1(precision, recall),
                positives == 0 ? Double.NaN : ap, best, bestF1, List.copyOf(curve), instances.clone(), hit.clone(),
                instanceRecall);
    }

    private static double f1(double p, double r) {
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }
}
