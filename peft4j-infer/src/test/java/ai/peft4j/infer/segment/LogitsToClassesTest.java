package ai.peft4j.infer.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.peft4j.data.transform.Letterbox;
import org.junit.jupiter.api.Test;

class LogitsToClassesTest {
    /** Class 1 leads by +1 in the logits' left column and trails by 1 in the right one. */
    private static final float[] LEFT_IS_ONE = {
        0, 0, 0, 0, // class 0, 2x2
        1, -1, 1, -1 // class 1, 2x2
    };

    @Test
    void halfPixelBilinear_fromA2x2GridToA4x4Frame() {
        // Frame columns sample the grid at x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1): class-1 margins
        // 1, 0.5, -0.5, -1.
        ModelInput input = new ModelInput(new float[3 * 16], 4, 4, new Letterbox.Placement(0, 0, 4, 4), 4, 4);
        int[] row = {1, 1, 0, 0};
        int[] expected = new int[16];
        for (int y = 0; y < 4; y++) {
            System.arraycopy(row, 0, expected, 4 * y, 4);
        }
        assertArrayEquals(expected, LogitsToClasses.classes(LEFT_IS_ONE, 2, 2, 2, input).classes());
    }

    @Test
    void letterboxBands_areCutAway() {
        // A 4x2 frame letterboxed into 4x4 sits in rows 1-2, which its rows sample exactly (y = 1 and 2) on a 4x4
        // grid; class 1 leads only in the bands (rows 0 and 3), so none of it reaches the frame.
        float[] logits = new float[2 * 16];
        for (int x = 0; x < 4; x++) {
            logits[16 + x] = 5;
            logits[16 + 4 + x] = -5;
            logits[16 + 8 + x] = -5;
            logits[16 + 12 + x] = 5;
        }
        ModelInput input = new ModelInput(new float[3 * 16], 4, 4, new Letterbox.Placement(0, 1, 4, 2), 4, 2);
        assertArrayEquals(new int[8], LogitsToClasses.classes(logits, 2, 4, 4, input).classes());
        // Shifted by one row the same frame would see a band: the mapping is what keeps it out.
        ModelInput shifted = new ModelInput(new float[3 * 16], 4, 4, new Letterbox.Placement(0, 0, 4, 2), 4, 2);
        assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0, 0, 0},
                LogitsToClasses.classes(logits, 2, 4, 4, shifted).classes());
    }

    @Test
    void logitsOfTheWrongSize_areRefused() {
        ModelInput input = new ModelInput(new float[3 * 16], 4, 4, new Letterbox.Placement(0, 0, 4, 4), 4, 4);
        assertThrows(IllegalArgumentException.class, () -> LogitsToClasses.classes(new float[7], 2, 2, 2, input));
    }
}
