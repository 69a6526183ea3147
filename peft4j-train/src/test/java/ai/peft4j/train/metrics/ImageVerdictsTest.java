package ai.peft4j.train.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Six hand-made 4 x 2 images, classes 0 (background), 1, 2 and the ignore label 3.
 *
 * <pre>
 * image  ground truth     prediction       largest predicted   defective   instances (8-connected)
 *        row 0 / row 1    row 0 / row 1    defect area         in truth
 * A      1100 / 0001      1000 / 0022      2 (class 2)         yes         class 1: {0,1} hit, {7} missed
 * B      0020 / 0002      0000 / 0022      2 (class 2)         yes         class 2: {2,7} (diagonal) hit at 7
 * C      0000 / 0000      1110 / 0000      3                   no
 * D      0000 / 0000      0000 / 0000      0                   no
 * E      0000 / 1000      0000 / 0000      0                   yes         class 1: {4} missed
 * F      3000 / 0000      1000 / 0000      1 (on the ignore)   no
 * </pre>
 *
 * At the default threshold (any defect pixel, area > 0) A, B, C and F are called defective: TP = 2 (A, B),
 * FP = 2 (C, F), FN = 1 (E): precision 1/2, recall 2/3, F1 = 2 (1/2)(2/3) / (1/2 + 2/3) = 4/7.
 *
 * <p>The curve, one point per distinct area s, images with area >= s called defective:
 * <pre>
 * s = 3: C          TP 0 FP 1  P 0    R 0    (threshold 2)   F1 0
 * s = 2: + A, B     TP 2 FP 1  P 2/3  R 2/3  (threshold 1)   F1 2/3
 * s = 1: + F        TP 2 FP 2  P 1/2  R 2/3  (threshold 0)   F1 4/7
 * s = 0: + D, E     TP 3 FP 3  P 1/2  R 1    (no threshold)
 * </pre>
 * AP = sum (R_k - R_(k-1)) P_k = 0 * 0 + (2/3)(2/3) + 0 * (1/2) + (1/3)(1/2) = 4/9 + 1/6 = 11/18, as sklearn's
 * average_precision_score([1,1,0,0,1,0], [2,2,3,0,0,1]). The best F1 is 2/3 at threshold 1 pixel.
 * Instance recall: class 1 hits 1 of 3 (A's two, E's one), class 2 hits 1 of 1.
 */
class ImageVerdictsTest {
    private static final int[][] GT = {
        {1, 1, 0, 0, 0, 0, 0, 1},
        {0, 0, 2, 0, 0, 0, 0, 2},
        {0, 0, 0, 0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0, 0, 0},
        {0, 0, 0, 0, 1, 0, 0, 0},
        {3, 0, 0, 0, 0, 0, 0, 0},
    };
    private static final int[][] PRED = {
        {1, 0, 0, 0, 0, 0, 2, 2},
        {0, 0, 0, 0, 0, 0, 2, 2},
        {1, 1, 1, 0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0, 0, 0},
        {1, 0, 0, 0, 0, 0, 0, 0},
    };

    private static VerdictScores score(VerdictThreshold t) {
        ImageVerdicts v = new ImageVerdicts(3, t);
        for (int i = 0; i < GT.length; i++) {
            v.add(GT[i], PRED[i], 4);
        }
        return v.scores();
    }

    @Test
    void anyDefectPixel_givesTheHandCountedPrecisionRecallF1() {
        VerdictScores s = score(VerdictThreshold.ANY_PIXEL);
        assertEquals(6, s.images());
        assertEquals(3, s.defective());
        assertEquals(2, s.truePositives());
        assertEquals(2, s.falsePositives());
        assertEquals(0.5, s.precision(), 1e-12);
        assertEquals(2.0 / 3, s.recall(), 1e-12);
        assertEquals(4.0 / 7, s.f1(), 1e-12);
    }

    @Test
    void curveAndAveragePrecision_areSklearnsStepwiseOnes() {
        VerdictScores s = score(VerdictThreshold.ANY_PIXEL);
        assertEquals(List.of(new VerdictScores.Point(3, 2.0, 0, 0),
                new VerdictScores.Point(2, 1.0, 2.0 / 3, 2.0 / 3),
                new VerdictScores.Point(1, 0.0, 0.5, 2.0 / 3),
                new VerdictScores.Point(0, null, 0.5, 1)), s.curve());
        assertEquals(11.0 / 18, s.averagePrecision(), 1e-12);
        assertEquals(new VerdictThreshold(1, false), s.bestF1Threshold());
        assertEquals(2.0 / 3, s.bestF1(), 1e-12);
    }

    @Test
    void theBestF1Threshold_reproducesTheBestF1() {
        VerdictScores s = score(new VerdictThreshold(1, false));
        assertEquals(2.0 / 3, s.precision(), 1e-12);
        assertEquals(2.0 / 3, s.recall(), 1e-12);
        assertEquals(2.0 / 3, s.f1(), 1e-12);
    }

    @Test
    void shareThreshold_scoresAreaOverImagePixels() {
        // 12.5 % of 8 pixels is 1 pixel: the same verdicts as the 1-pixel threshold, the curve in shares.
        VerdictScores s = score(VerdictThreshold.parse("12.5%"));
        assertEquals(2.0 / 3, s.precision(), 1e-12);
        assertEquals(2.0 / 3, s.f1(), 1e-12);
        assertEquals(3.0 / 8, s.curve().get(0).atLeast(), 1e-12);
        assertEquals(new VerdictThreshold(1.0 / 8, true), s.bestF1Threshold());
        assertEquals(11.0 / 18, s.averagePrecision(), 1e-12);
    }

    @Test
    void instanceRecall_countsEightConnectedRegionsHitByTheirOwnClass() {
        VerdictScores s = score(VerdictThreshold.ANY_PIXEL);
        assertArrayEquals(new long[] {0, 3, 1}, s.instances());
        assertArrayEquals(new long[] {0, 1, 1}, s.instancesHit());
        assertTrue(Double.isNaN(s.instanceRecall()[0]));
        assertEquals(1.0 / 3, s.instanceRecall()[1], 1e-12);
        assertEquals(1.0, s.instanceRecall()[2], 1e-12);
    }

    @Test
    void noDefectiveImage_hasNoAveragePrecisionAndZeroScores() {
        ImageVerdicts v = new ImageVerdicts(2, VerdictThreshold.ANY_PIXEL);
        v.add(new int[] {0, 0}, new int[] {1, 0}, 2);
        VerdictScores s = v.scores();
        assertTrue(Double.isNaN(s.averagePrecision()));
        assertEquals(0, s.precision());
        assertEquals(0, s.recall());
        // One point: the false positive alone, reached by threshold 0 (its area 1 is the lowest score).
        assertEquals(List.of(new VerdictScores.Point(1, 0.0, 0, 0)), s.curve());
    }

    @Test
    void parse_acceptsPixelsAndPercentages_andExplainsTheRest() {
        assertEquals(new VerdictThreshold(50, false), VerdictThreshold.parse("50"));
        assertEquals(new VerdictThreshold(0.001, true), VerdictThreshold.parse("0.1%"));
        assertEquals("0.1%", VerdictThreshold.parse("0.1%").toString());
        assertEquals("50 px", VerdictThreshold.parse("50").toString());
        for (String bad : List.of("-1", "abc", "100%", "NaN", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VerdictThreshold.parse(bad));
            assertEquals("verdict threshold '" + bad + "' is not a number of pixels >= 0 (e.g. 50) or a percentage "
                    + "of the image in [0, 100) (e.g. 0.1%)", e.getMessage());
        }
    }

    @Test
    void add_predictionOutsideTheClasses_isExplained() {
        ImageVerdicts v = new ImageVerdicts(2, VerdictThreshold.ANY_PIXEL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> v.add(new int[] {0, 0}, new int[] {0, 2}, 2));
        assertEquals("prediction 2 at pixel 1 is not a class id in [0, 2)", e.getMessage());
    }

    @Test
    void merge_ofPartsInAnyOrder_scoresAsOneTallyOfAllImages() throws Exception {
        VerdictScores whole = score(VerdictThreshold.ANY_PIXEL);
        // Images split as partitions would be (E and A apart, out of order), merged pairwise in two groupings.
        int[][] parts = {{4, 0}, {5, 2}, {1, 3}};
        ImageVerdicts[] tallies = new ImageVerdicts[parts.length];
        for (int p = 0; p < parts.length; p++) {
            tallies[p] = new ImageVerdicts(3, VerdictThreshold.ANY_PIXEL);
            for (int i : parts[p]) {
                tallies[p].add(GT[i], PRED[i], 4);
            }
        }
        // Through Java serialisation, as a distributed engine ships a partition's tally.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(tallies[2]);
        }
        ImageVerdicts shipped;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            shipped = (ImageVerdicts) in.readObject();
        }
        tallies[1].add(shipped);
        tallies[0].add(tallies[1]);
        VerdictScores merged = tallies[0].scores();
        assertEquals(6, merged.images());
        assertEquals(List.of(whole.truePositives(), whole.falsePositives(), whole.defective()),
                List.of(merged.truePositives(), merged.falsePositives(), merged.defective()));
        assertEquals(whole.curve(), merged.curve());
        assertEquals(11.0 / 18, merged.averagePrecision(), 1e-12);
        assertEquals(whole.bestF1Threshold(), merged.bestF1Threshold());
        assertArrayEquals(whole.instances(), merged.instances());
        assertArrayEquals(whole.instancesHit(), merged.instancesHit());

        ImageVerdicts other = new ImageVerdicts(3, new VerdictThreshold(1, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tallies[0].add(other));
        assertEquals("cannot merge verdicts of 3 classes above 1 px into verdicts of 3 classes above 0 px",
                e.getMessage());
    }
}
