package ai.peft4j.infer.video;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DisplayOrderTest {
    private static List<String> run(int depth, double[] pts, String[] names) {
        DisplayOrder<String> order = new DisplayOrder<>(depth);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < pts.length; i++) {
            order.add(pts[i], names[i]);
            while (order.ready()) {
                out.add(order.release());
            }
        }
        while (!order.isEmpty()) {
            out.add(order.release());
        }
        return out;
    }

    @Test
    void bFramesDecodedAfterTheirReference_comeOutInDisplayOrder() {
        // Decoding order of an IPBB stream: I0 P3 B1 B2 P6 B4 B5.
        assertEquals(List.of("I0", "B1", "B2", "P3", "B4", "B5", "P6"), run(2,
                new double[] {0, 3, 1, 2, 6, 4, 5}, new String[] {"I0", "P3", "B1", "B2", "P6", "B4", "B5"}));
    }

    @Test
    void streamWithoutReordering_passesThroughUnchanged() {
        assertEquals(List.of("a", "b", "c", "d", "e", "f"), run(VideoFileSource.REORDER_DEPTH,
                new double[] {0, 0.1, 0.2, 0.3, 0.4, 0.5}, new String[] {"a", "b", "c", "d", "e", "f"}));
    }

    @Test
    void reorderingDeeperThanTheBuffer_cannotBeUndone_soTheDepthMatters() {
        // Hierarchical B-frames, decoded I0 P4 B2 B1 B3: B1 comes after B2, two pictures late.
        double[] pts = {0, 4, 2, 1, 3};
        String[] names = {"I0", "P4", "B2", "B1", "B3"};
        assertEquals(List.of("I0", "B2", "B1", "B3", "P4"), run(1, pts, names));
        assertEquals(List.of("I0", "B1", "B2", "B3", "P4"), run(2, pts, names));
    }
}
