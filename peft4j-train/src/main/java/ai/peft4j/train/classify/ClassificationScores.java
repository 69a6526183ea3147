package ai.peft4j.train.classify;

import ai.peft4j.core.metrics.ConfusionMatrix;

/**
 * Accuracy of a classifier over images: top-1 and top-k (k = 5, or the class count when smaller, as torchmetrics
 * caps it), per-class accuracy (the recall of each class) and the confusion matrix of true against predicted class.
 */
public final class ClassificationScores {
    private final ConfusionMatrix matrix;
    private final int k;
    private long inTopK;

    public ClassificationScores(int classes) {
        this.matrix = new ConfusionMatrix(classes);
        this.k = Math.min(5, classes);
    }

    /** Adds images with their true class and class probabilities (or logits), {@code [n][C]}. */
    public void add(int[] labels, float[][] scores) {
        int[] top1 = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            float[] s = scores[i];
            int better = 0;
            int best = 0;
            for (int c = 0; c < s.length; c++) {
                if (s[c] > s[labels[i]]) {
                    better++;
                }
                if (s[c] > s[best]) {
                    best = c;
                }
            }
            top1[i] = best;
            if (better < k) {
                inTopK++;
            }
        }
        matrix.add(labels, top1);
    }

    public ConfusionMatrix matrix() {
        return matrix;
    }

    public int k() {
        return k;
    }

    public long images() {
        return matrix.total();
    }

    public double top1() {
        return matrix.accuracy();
    }

    public double topK() {
        return images() == 0 ? Double.NaN : (double) inTopK / images();
    }

    /** Share of each class's images predicted as that class (0 for a class without images, as the matrix counts it). */
    public double[] perClass() {
        return matrix.recall();
    }
}
