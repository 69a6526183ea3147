package ai.peft4j.train.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The box confusion matrix on two images worked out by hand. */
class DetectionConfusionMatrixTest {
    private static float[] box(float x1, float y1, float x2, float y2) {
        return new float[] {x1, y1, x2, y2};
    }

    @Test
    void matrix_countsMatchesConfusionsMissesAndFalseAlarms() {
        DetectionConfusionMatrix m = new DetectionConfusionMatrix(List.of("a", "b"));
        // Image 1. Truths: a at [0,0,10,10], b at [20,0,30,10].
        // d0 'a' = truth a exactly (IoU 1); d1 'b' at [1,0,11,10] overlaps truth a by 90 / 110 = 0.82 but truth a
        // keeps d0, so d1 is a false alarm; d2 'a' = truth b exactly: b found with the wrong label; d3 'b' overlaps
        // nothing: a false alarm; d4 'c' is no class: left out.
        m.addImage(List.of("a", "b"), List.of(box(0, 0, 10, 10), box(20, 0, 30, 10)),
                List.of("a", "b", "a", "b", "c"),
                List.of(box(0, 0, 10, 10), box(1, 0, 11, 10), box(20, 0, 30, 10), box(100, 100, 110, 110),
                        box(0, 0, 10, 10)));
        // Image 2. Truth a at [50,50,60,60] has no detection: missed. Truth b at [0,0,10,10] and d 'b' at
        // [0,0,10,5]: IoU 50 / 100 = 0.5, not above 0.5, so a miss and a false alarm.
        m.addImage(List.of("a", "b"), List.of(box(50, 50, 60, 60), box(0, 0, 10, 10)), List.of("b"),
                List.of(box(0, 0, 10, 5)));
        assertEquals(List.of("a", "b", "background"), m.names());
        long[][] expected = {
            {1, 0, 1},
            {1, 0, 1},
            {0, 3, 0},
        };
        assertArrayEquals(expected, m.matrix().toArray());
        assertEquals(1, m.count("b", "a"));
        assertEquals(3, m.count("background", "b"));
        assertEquals(1, m.detectionsOutsideClasses());
    }

    @Test
    void detection_takesItsBestTruthEvenWhenThatTruthPrefersAnother() {
        DetectionConfusionMatrix m = new DetectionConfusionMatrix(List.of("a", "b"));
        // Truths: a at [0,0,10,10], b at [0,0,10,8]. d0 'b' at [0,0,10,9]: IoU 0.9 with a, 80 / 90 = 0.89 with b,
        // so it takes a. d1 'a' at [0,0,10,10]: IoU 1 with a (its best), so a goes to d1 and d0 falls out
        // entirely although it overlaps b by 0.89. Truth b is missed.
        m.addImage(List.of("a", "b"), List.of(box(0, 0, 10, 10), box(0, 0, 10, 8)), List.of("b", "a"),
                List.of(box(0, 0, 10, 9), box(0, 0, 10, 10)));
        long[][] expected = {
            {1, 0, 0},
            {0, 0, 1},
            {0, 1, 0},
        };
        assertArrayEquals(expected, m.matrix().toArray());
    }

    @Test
    void unknownTruthLabel_isRefused() {
        DetectionConfusionMatrix m = new DetectionConfusionMatrix(List.of("a"));
        assertThrows(IllegalArgumentException.class,
                () -> m.addImage(List.of("z"), List.of(box(0, 0, 1, 1)), List.of(), List.of()));
    }
}
