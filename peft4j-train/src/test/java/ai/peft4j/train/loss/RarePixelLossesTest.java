package ai.peft4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden values of the losses for rare pixels on one image of 1 x 5 pixels, worked out by hand. Two classes; the
 * logits (0, ln(q / (1 - q))) give p(class 1) = q.
 *
 * <pre>
 * pixel   p(class 0)  p(class 1)  label      cross-entropy
 * 0       0.1         0.9         1          -ln 0.9 = 0.1054
 * 1       0.8         0.2         0          -ln 0.8 = 0.2231
 * 2       0.4         0.6         1          -ln 0.6 = 0.5108
 * 3       0.7         0.3         0          -ln 0.7 = 0.3567
 * 4       (logits 5, -5)          2 = ignore
 * </pre>
 */
class RarePixelLossesTest {
    private static final double[] Q = {0.9, 0.2, 0.6, 0.3};
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = EngineSetup.newManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** {@code [1, 2, 1, 5]}, plus a third channel of constant logit {@code third} when it is not null. */
    private static NDArray logits(Float third) {
        int c = third == null ? 2 : 3;
        float[] v = new float[c * 5];
        for (int i = 0; i < 4; i++) {
            v[5 + i] = (float) Math.log(Q[i] / (1 - Q[i]));
        }
        v[4] = 5;
        v[9] = -5;
        if (third != null) {
            for (int i = 0; i < 5; i++) {
                v[10 + i] = third;
            }
        }
        return manager.create(v, new Shape(1, c, 1, 5));
    }

    private static NDArray labels(int ignore) {
        return manager.create(new int[] {1, 0, 1, 0, ignore}, new Shape(1, 1, 5));
    }

    private static double value(SegmentationLoss loss) {
        return loss.compute(logits(null), labels(2)).getFloat();
    }

    @Test
    void topKCrossEntropy_averagesTheHardestPixels() {
        // 4 counted pixels. k = 0.1: ceil(0.4) = 1 pixel, the hardest (pixel 2). k = 0.5: pixels 2 and 3.
        assertEquals(-Math.log(0.6), value(new TopKCrossEntropyLoss(2, null, 0.1)), 1e-6);
        assertEquals(-(Math.log(0.6) + Math.log(0.7)) / 2, value(new TopKCrossEntropyLoss(2, null, 0.5)), 1e-6);
        // k = 1 is plain cross-entropy, the ignored pixel left out.
        assertEquals(value(new CrossEntropyLoss(2)), value(new TopKCrossEntropyLoss(2, null, 1)), 1e-6);
        // Weights scale before ranking: class 1 at weight 4 puts pixel 0 (4 * 0.1054 = 0.4214) above pixel 3.
        assertEquals(-(4 * Math.log(0.6) + 4 * Math.log(0.9)) / 2,
                value(new TopKCrossEntropyLoss(2, new float[] {1, 4}, 0.5)), 1e-6);
    }

    @Test
    void topKCrossEntropy_neverPicksAnIgnoredPixel() {
        // k = 1 takes all 4 counted pixels; were the ignored one (value 0) ranked above them, the mean would change.
        float[] v = logits(null).toFloatArray();
        for (int i = 0; i < 4; i++) {
            v[i] = 0;
            v[5 + i] = 0; // every counted pixel at p = 0.5: ln 2 each
        }
        NDArray equal = manager.create(v, new Shape(1, 2, 1, 5));
        assertEquals(Math.log(2), new TopKCrossEntropyLoss(2, null, 1).compute(equal, labels(2)).getFloat(), 1e-6);
    }

    @Test
    void dicePresent_averagesTheClassesThatArePresent() {
        // Class 1: tp = 0.9 + 0.6 = 1.5, sum p = 2.0, sum t = 2: (3 + s) / (4 + s). Class 0 likewise: 0.8 + 0.7.
        double s = 1e-5;
        double score = (3 + s) / (4 + s);
        assertEquals(1 - score, value(new PresentClassDiceLoss(2)), 1e-6);
    }

    @Test
    void dicePresent_leavesOutAClassAbsentFromTargetAndPrediction() {
        // A third class with logit 0 holds probability mass everywhere but is never the argmax and never a target:
        // it takes no part (at pixel 1 it ties with class 0, and the argmax, as torch's, takes the first). Its mass
        // lowers the others' probabilities: p_c = e^l_c / (1 + e^l_1 + 1) per pixel.
        NDArray x = logits(0f);
        double s = 1e-5;
        double[] tp = new double[2];
        double[] sumP = new double[2];
        int[] labels = {1, 0, 1, 0};
        for (int i = 0; i < 4; i++) {
            double e1 = Q[i] / (1 - Q[i]);
            double z = 1 + e1 + 1;
            double[] p = {1 / z, e1 / z};
            for (int c = 0; c < 2; c++) {
                sumP[c] += p[c];
                tp[c] += labels[i] == c ? p[c] : 0;
            }
        }
        double expected = 1 - ((2 * tp[0] + s) / (sumP[0] + 2 + s) + (2 * tp[1] + s) / (sumP[1] + 2 + s)) / 2;
        assertEquals(expected, new PresentClassDiceLoss(3).compute(x, labels(3)).getFloat(), 1e-6);
        // The published Dice counts it, at a score of about s / sum(p_2) = 0: a far larger loss.
        assertTrue(new DiceLoss(3).compute(x, labels(3)).getFloat() > expected + 0.2);
    }

    @Test
    void dicePresent_keepsAClassThatIsOnlyPredicted() {
        // All labels 0 but pixel 0 predicts class 1 (p 0.9): class 1 counts with score s / (sum p_1 + s), about 0.
        NDArray zeros = manager.create(new int[] {0, 0, 0, 0, 2}, new Shape(1, 1, 5));
        double s = 1e-5;
        double score0 = (2 * 2.0 + s) / (2.0 + 4 + s); // tp = sum p_0 = 0.1 + 0.8 + 0.4 + 0.7 = 2.0
        double score1 = s / (2.0 + s);
        assertEquals(1 - (score0 + score1) / 2,
                new PresentClassDiceLoss(2).compute(logits(null), zeros).getFloat(), 1e-6);
    }

    /**
     * Class 1: errors |t - p| = (0.1, 0.2, 0.4, 0.3); in decreasing order pixels 2 (fg), 3, 1, 0 (fg); 2 targets.
     * After each: intersection left / union = 1/2, 1/3, 1/4, 0/4, so Jaccard losses 1/2, 2/3, 3/4, 1 and weights
     * 1/2, 1/6, 1/12, 1/4: 0.4/2 + 0.3/6 + 0.2/12 + 0.1/4 = 0.2 + 0.05 + 0.01667 + 0.025 = 0.29167 (70/240).
     * Class 0: the same errors, pixels 2, 3 (fg), 1 (fg), 0: Jaccard 1 - 2/3, 1 - 1/3, 1, 1, weights 1/3, 1/3, 1/3,
     * 0: (0.4 + 0.3 + 0.2) / 3 = 0.3 (72/240). Mean over the two present classes: 71/240.
     */
    @Test
    void lovasz_matchesTheHandComputedExtension() {
        assertEquals(71.0 / 240, value(new LovaszSoftmaxLoss(2, false)), 1e-6);
        // One image: per image is the same.
        assertEquals(71.0 / 240, value(new LovaszSoftmaxLoss(2, true)), 1e-6);
    }

    @Test
    void lovasz_leavesOutClassesAbsentFromTheTargets() {
        // A third class at logit -30 is absent from the targets: the loss is that of the two present classes.
        assertEquals(71.0 / 240, new LovaszSoftmaxLoss(3, false).compute(logits(-30f), labels(3)).getFloat(), 1e-6);
    }

    @Test
    void lovaszPerImage_isTheMeanOfTheImagesLosses_perBatchPoolsThePixels() {
        // Image 0 is the hand-computed one; image 1 is one pixel of class 0 at p 0.8 and three ignored pixels:
        // class 0 alone, error 0.2, weight 1, loss 0.2. Per image: (71/240 + 0.2) / 2.
        float[] two = new float[2 * 2 * 5];
        float[] one = logits(null).toFloatArray();
        System.arraycopy(one, 0, two, 0, 5);
        System.arraycopy(one, 5, two, 5, 5);
        two[10] = 0;
        two[15] = (float) Math.log(0.25);
        NDArray x = manager.create(two, new Shape(2, 2, 1, 5));
        NDArray y = manager.create(new int[] {1, 0, 1, 0, 2, 0, 2, 2, 2, 2}, new Shape(2, 1, 5));
        assertEquals((71.0 / 240 + 0.2) / 2, new LovaszSoftmaxLoss(2, true).compute(x, y).getFloat(), 1e-6);
        // Per batch the counted pixels 0-3 and 5 are pooled. Class 0: errors (0.1, 0.2, 0.4, 0.3, 0.2), targets
        // 1, 3, 5; order 2 (bg), 3, 1, 5 (fg), 0 (bg): Jaccard 1/4, 1/2, 3/4, 1, 1, weights 1/4, 1/4, 1/4, 1/4, 0:
        // 1.1 / 4 = 0.275. Class 1: pixel 5 is one more background pixel at error 0.2; order 2 (fg), 3, 1, 5 (bg),
        // 0 (fg): Jaccard 1/2, 2/3, 3/4, 4/5, 1, weights 1/2, 1/6, 1/12, 1/20, 1/5:
        // 0.2 + 0.05 + 0.01667 + 0.01 + 0.02 = 0.29667. Mean: 0.28583.
        assertEquals((0.275 + (0.2 + 0.05 + 0.2 / 12 + 0.01 + 0.02)) / 2,
                new LovaszSoftmaxLoss(2, false).compute(x, y).getFloat(), 1e-6);
    }

    @Test
    void lovasz_allPixelsIgnored_isZeroAsTheReferencesEmptyMean() {
        assertEquals(0f, new LovaszSoftmaxLoss(2, false).compute(logits(null),
                manager.create(new int[] {2, 2, 2, 2, 2}, new Shape(1, 1, 5))).getFloat());
    }

    /** Autograd against central differences of the loss itself, on every logit (the ignored pixel's included). */
    private static void assertGradientMatchesFiniteDifferences(SegmentationLoss loss) {
        NDArray x = logits(null);
        x.setRequiresGradient(true);
        try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            gc.backward(loss.compute(x, labels(2)));
        }
        float[] g = x.getGradient().toFloatArray();
        float[] base = logits(null).toFloatArray();
        float h = 1e-2f;
        for (int i = 0; i < base.length; i++) {
            float[] plus = base.clone();
            float[] minus = base.clone();
            plus[i] += h;
            minus[i] -= h;
            double up = loss.compute(manager.create(plus, new Shape(1, 2, 1, 5)), labels(2)).getFloat();
            double down = loss.compute(manager.create(minus, new Shape(1, 2, 1, 5)), labels(2)).getFloat();
            assertEquals((up - down) / (2 * h), g[i], 2e-4, loss + " gradient of logit " + i);
        }
    }

    @Test
    void gradients_matchFiniteDifferences() {
        assertGradientMatchesFiniteDifferences(new TopKCrossEntropyLoss(2, null, 0.5));
        assertGradientMatchesFiniteDifferences(new PresentClassDiceLoss(2));
        assertGradientMatchesFiniteDifferences(new LovaszSoftmaxLoss(2, false));
    }

    @Test
    void parse_namesAndTopKFraction_roundTrip() {
        SegmentationLoss l = SegmentationLoss.parse("CE+topk-ce:0.25+lovasz+dice-present", 2, null);
        assertEquals("ce+topk-ce:0.25+lovasz+dice-present", l.toString());
        assertEquals(0.25, ((TopKCrossEntropyLoss) ((CombinedLoss) l).terms().get(1)).fraction());
        assertEquals("topk-ce", SegmentationLoss.parse("topk-ce", 2, null).toString());
        assertEquals(0.1, ((TopKCrossEntropyLoss) SegmentationLoss.parse("topk-ce", 2, null)).fraction());
        assertEquals("lovasz-image", SegmentationLoss.parse("lovasz-image", 2, null).toString());
    }

    @Test
    void parse_badTopKFractionOrArgument_isExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SegmentationLoss.parse("ce+topk-ce:1.5", 2, null));
        assertEquals("loss 'topk-ce:1.5' in 'ce+topk-ce:1.5': K is the fraction of hardest pixels to average, in "
                + "(0, 1], e.g. topk-ce:0.1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SegmentationLoss.parse("dice:2", 2, null));
        assertEquals("loss 'dice' in 'dice:2' takes no ':' argument (only topk-ce:K does)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SegmentationLoss.parse("ce+ohem:0.1", 2, null));
        assertEquals("unknown loss 'ohem' in 'ce+ohem:0.1' (known: ce, focal, dice, dice-present, topk-ce[:K], "
                + "lovasz, lovasz-image, and sums such as ce+dice)", e.getMessage());
    }
}
