package ai.peft4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ClassRegionsTest {
    @Test
    void regions_areEightConnectedPerClass_numberedInRasterOrder_andSkipClassesOutsideTheRange() {
        // 4 x 3; class 3 is the ignore label here and forms no region.
        int[] map = {
            1, 0, 2, 2,
            0, 1, 0, 3,
            1, 0, 0, 1,
        };
        ClassRegions r = ClassRegions.of(map, 4, 3, 1, 3);
        // (0,0), (1,1), (0,2) touch at corners: one class-1 region; then class 2 at (2,0)-(3,0); then (3,2).
        assertEquals(3, r.count());
        int[] labels = new int[map.length];
        for (int i = 0; i < map.length; i++) {
            labels[i] = r.regionAt(i);
        }
        assertArrayEquals(new int[] {0, -1, 1, 1, -1, 0, -1, -1, 0, -1, -1, 2}, labels);
        assertArrayEquals(new int[] {1, 2, 1}, new int[] {r.classId(0), r.classId(1), r.classId(2)});
        assertArrayEquals(new int[] {3, 2, 1}, new int[] {r.pixels(0), r.pixels(1), r.pixels(2)});
        assertArrayEquals(new int[] {0, 0, 1, 2}, new int[] {r.x0(0), r.y0(0), r.x1(0), r.y1(0)});
    }
}
