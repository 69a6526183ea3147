package ai.peft4j.train.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * COCO-style AP on boxes made by hand. Class a: two ground-truth boxes (one per image) and three detections in
 * score order: an exact hit, a miss, and a box covering half of the second truth (IoU exactly 0.5). At IoU 0.5 the
 * precision after each is 1, 1/2, 2/3 at recall 1/2, 1/2, 1; made non-increasing it is 1, 2/3, 2/3, so the 51
 * recall points 0..0.50 read 1 and the 50 points 0.51..1 read 2/3: AP = (51 + 50 * 2/3) / 101. From 0.55 on the
 * half box misses: precision 1, 1/2, 1/3 at recall 1/2 throughout, AP = 51 / 101. Class b has a truth and no
 * detection (AP 0); class c has a detection and no truth (left out).
 */
class DetectionAveragePrecisionTest {
    private static DetectionAveragePrecision handCase() {
        DetectionAveragePrecision ap = new DetectionAveragePrecision();
        ap.addImage(List.of("a"), List.of(new float[] {0, 0, 10, 10}),
                List.of("a", "a", "c"), List.of(new float[] {0, 0, 10, 10}, new float[] {20, 20, 30, 30},
                        new float[] {0, 0, 5, 5}), new double[] {0.9, 0.8, 0.95});
        ap.addImage(List.of("a", "b"), List.of(new float[] {0, 0, 10, 10}, new float[] {0, 0, 4, 4}),
                List.of("a"), List.of(new float[] {0, 0, 10, 5}), new double[] {0.7});
        return ap;
    }

    @Test
    void averagePrecision_matchesHandComputedCurve() {
        DetectionAveragePrecision ap = handCase();
        double at50 = (51 + 50 * 2.0 / 3) / 101;
        double above = 51.0 / 101;
        assertEquals(at50, ap.averagePrecision("a", 0.5), 1e-12);
        assertEquals(above, ap.averagePrecision("a", 0.55), 1e-12);
        assertEquals(above, ap.averagePrecision("a", 0.95), 1e-12);
        assertEquals(0.0, ap.averagePrecision("b", 0.5), 1e-12);
        assertTrue(Double.isNaN(ap.averagePrecision("c", 0.5)));
        assertEquals(List.of("a", "b"), ap.classes());
        assertEquals(at50 / 2, ap.meanAveragePrecision(0.5), 1e-12);
        assertEquals((at50 + 9 * above) / 10 / 2, ap.meanAveragePrecisionCoco(), 1e-12);
        assertEquals((at50 + 9 * above) / 10, ap.averagePrecisionCoco("a"), 1e-12);
    }

    @Test
    void perfectDetections_scoreOne_andIouIsOfContinuousBoxes() {
        DetectionAveragePrecision ap = new DetectionAveragePrecision();
        ap.addImage(List.of("x", "y"), List.of(new float[] {1, 1, 9, 9}, new float[] {2, 2, 3, 3}),
                List.of("y", "x"), List.of(new float[] {2, 2, 3, 3}, new float[] {1, 1, 9, 9}),
                new double[] {1, 1});
        assertEquals(1.0, ap.meanAveragePrecisionCoco(), 1e-12);
        assertEquals(25.0 / (100 + 150 - 25), DetectionAveragePrecision.iou(new float[] {0, 0, 10, 10},
                new float[] {5, 5, 15, 20}), 1e-12);
        assertEquals(0.0, DetectionAveragePrecision.iou(new float[] {0, 0, 1, 1}, new float[] {1, 1, 2, 2}));
    }
}
