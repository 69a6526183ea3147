package ai.peft4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hand-computed matrices. The main one has 4 classes, of which class 3 is in neither ground truth nor prediction;
 * ten pixels are counted and two carry the ignore label 4.
 *
 * <pre>
 *            pred 0  pred 1  pred 2  pred 3   row
 * gt 0         4       1       0       0       5
 * gt 1         1       2       0       0       3
 * gt 2         0       1       1       0       2
 * gt 3         0       0       0       0       0
 * col          5       4       1       0      10
 * </pre>
 */
class ConfusionMatrixTest {
    private static ConfusionMatrix example() {
        ConfusionMatrix cm = new ConfusionMatrix(4);
        int[] gt = {0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 4, 4};
        int[] pred = {0, 0, 0, 0, 1, 0, 1, 1, 1, 2, 3, 0};
        cm.add(gt, pred);
        return cm;
    }

    @Test
    void add_countsRowsGtColumnsPred_ignoreLabelExcluded() {
        ConfusionMatrix cm = example();
        assertEquals(10, cm.total());
        assertArrayEquals(new long[] {4, 1, 0, 0}, cm.toArray()[0]);
        assertArrayEquals(new long[] {1, 2, 0, 0}, cm.toArray()[1]);
        assertArrayEquals(new long[] {0, 1, 1, 0}, cm.toArray()[2]);
        assertArrayEquals(new long[] {0, 0, 0, 0}, cm.toArray()[3]);
    }

    @Test
    void neverPredicted_listsClassesInTheGroundTruthWithAnEmptyColumn() {
        // In the example every class of the ground truth is predicted somewhere; class 3 is in neither.
        assertArrayEquals(new int[0], example().neverPredicted());
        // Everything called class 0: classes 1 and 2 have pixels and no prediction; 3 has neither.
        ConfusionMatrix background = new ConfusionMatrix(4);
        background.add(new int[] {0, 0, 1, 2, 2, 4}, new int[] {0, 0, 0, 0, 0, 1});
        assertArrayEquals(new int[] {1, 2}, background.neverPredicted());
        // A class predicted without ground truth is not listed either way.
        ConfusionMatrix extra = new ConfusionMatrix(4);
        extra.add(new int[] {0, 1}, new int[] {3, 1});
        assertArrayEquals(new int[] {0}, extra.neverPredicted());
    }

    @Test
    void iou_absentClassIsZeroNotNaN_andCountsInTheMean() {
        // IoU = diag / max(row + col - diag, 1): 4/6, 2/5, 1/2, 0/max(0, 1) = 0.
        double[] iou = example().iou();
        assertArrayEquals(new double[] {4.0 / 6, 2.0 / 5, 1.0 / 2, 0}, iou, 1e-12);
        assertEquals((4.0 / 6 + 2.0 / 5 + 1.0 / 2 + 0) / 4, example().scores().meanIou(), 1e-12);
    }

    @Test
    void recallAndPrecision_dividedByRowsAndColumns() {
        ConfusionMatrix cm = example();
        assertArrayEquals(new double[] {4.0 / 5, 2.0 / 3, 1.0 / 2, 0}, cm.recall(), 1e-12);
        assertArrayEquals(new double[] {4.0 / 5, 2.0 / 4, 1.0 / 1, 0}, cm.precision(), 1e-12);
        SegmentationScores s = cm.scores();
        assertEquals((0.8 + 2.0 / 3 + 0.5) / 4, s.meanRecall(), 1e-12);
        assertEquals((0.8 + 0.5 + 1.0) / 4, s.meanPrecision(), 1e-12);
    }

    @Test
    void accuracyAndDice_byHand() {
        ConfusionMatrix cm = example();
        assertEquals(7.0 / 10, cm.accuracy(), 1e-12);
        // Dice = 2 diag / (row + col): 8/10, 4/7, 2/3, 0.
        assertArrayEquals(new double[] {0.8, 4.0 / 7, 2.0 / 3, 0}, cm.dice(), 1e-12);
        assertEquals((0.8 + 4.0 / 7 + 2.0 / 3) / 4, cm.scores().meanDice(), 1e-12);
    }

    @Test
    void perfectPrediction_scoresOneForPresentClasses() {
        ConfusionMatrix cm = new ConfusionMatrix(2);
        cm.add(new int[] {0, 1, 1, 0}, new int[] {0, 1, 1, 0});
        SegmentationScores s = cm.scores();
        assertEquals(1.0, s.meanIou(), 0);
        assertEquals(1.0, s.accuracy(), 0);
    }

    @Test
    void add_accumulatesAcrossImages() {
        ConfusionMatrix cm = new ConfusionMatrix(2);
        cm.add(new int[] {0, 1}, new int[] {0, 0});
        cm.add(new int[] {1, 1}, new int[] {1, 1});
        // [[1, 0], [1, 2]]: IoU 1/2 and 2/3.
        assertArrayEquals(new double[] {0.5, 2.0 / 3}, cm.iou(), 1e-12);
    }

    @Test
    void emptyMatrix_scoresZeroNotNaN() {
        SegmentationScores s = new ConfusionMatrix(3).scores();
        assertEquals(0.0, s.meanIou(), 0);
        assertEquals(0.0, s.accuracy(), 0);
    }

    @Test
    void nanMean_skipsNaNs() {
        assertEquals(0.5, ConfusionMatrix.nanMean(new double[] {0, Double.NaN, 1}), 0);
        assertTrue(Double.isNaN(ConfusionMatrix.nanMean(new double[] {Double.NaN})));
    }

    @Test
    void add_predictionOutOfRange_isExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConfusionMatrix(2).add(new int[] {0}, new int[] {5}));
        assertTrue(e.getMessage().contains("prediction 5"), e.getMessage());
    }
}
