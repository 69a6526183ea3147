package ai.peft4j.train.promptable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PromptedScoresTest {
    @Test
    void publishedDiceAndIou_averageFiveThresholdsPerMaskThenMasks_ignoredPixelsLeftOut() {
        PromptedScores s = new PromptedScores();
        // Target 1 1 0 0 (and one ignored pixel predicted defect); logits 0.2 0.6 0.4 -1 (ignored: 5).
        s.add(new float[] {0.2f, 0.6f, 0.4f, -1f, 5f}, new int[] {1, 1, 0, 0, 2});
        // By hand: at 0.1 P = {0,1,2}: inter 2, union 3, |P|+|T| = 5; at 0.3 P = {1,2}: 1, 3, 4; at 0.5 P = {1}:
        // 1, 2, 3; at 0.7 and 0.9 P is empty: 0, 2, 2.
        double iou = ((2 + 1e-6) / (3 + 1e-6) + (1 + 1e-6) / (3 + 1e-6) + (1 + 1e-6) / (2 + 1e-6)
                + 2 * (1e-6 / (2 + 1e-6))) / 5;
        double dice = ((4 + 1e-4) / (5 + 1e-4) + (2 + 1e-4) / (4 + 1e-4) + (2 + 1e-4) / (3 + 1e-4)
                + 2 * (1e-4 / (2 + 1e-4))) / 5;
        assertEquals(iou, s.iou(), 1e-12);
        assertEquals(dice, s.dice(), 1e-12);
        // A second mask, perfect at every threshold: the means are over masks.
        s.add(new float[] {3f, -3f}, new int[] {1, 0});
        assertEquals(2, s.masks());
        assertEquals((iou + 1) / 2, s.iou(), 1e-12);
        assertEquals((dice + 1) / 2, s.dice(), 1e-12);
        // Pooled at 0: TP = 2 + 1 (pixels 0, 1 and the second mask's 0), FP = 1 (pixel 2), FN = 0.
        assertEquals(3.0 / 4, s.pooledIou(), 1e-12);
        assertEquals(6.0 / 7, s.pooledDice(), 1e-12);
    }

    @Test
    void promptsPerRegion_boxesAreInclusiveCornersAndTargetsTheRegionAlone() {
        // 6x4 map: a 2x2 defect top-left, an L of three pixels on the right (8-connected), an ignored pixel.
        int[] mask = {
            1, 1, 0, 0, 0, 0,
            1, 1, 0, 0, 1, 0,
            0, 0, 0, 0, 0, 1,
            0, 2, 0, 0, 0, 1};
        List<MaskPrompt> boxes = MaskPrompts.all(mask, 6, 4, PromptMode.BOX, new SplittableRandom(1));
        assertEquals(2, boxes.size());
        assertArrayEquals(new float[] {0, 0, 1, 1}, boxes.get(0).coords());
        assertArrayEquals(new float[] {4, 1, 5, 3}, boxes.get(1).coords());
        assertArrayEquals(new int[] {
            0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 1, 0,
            0, 0, 0, 0, 0, 1,
            0, 2, 0, 0, 0, 1}, boxes.get(1).target());
        for (MaskPrompt p : MaskPrompts.all(mask, 6, 4, PromptMode.POINT, new SplittableRandom(7))) {
            int x = (int) p.coords()[0];
            int y = (int) p.coords()[1];
            assertEquals(1, p.target()[y * 6 + x], "a click lies inside its region");
            assertEquals(1, p.label());
        }
        // No defect: a box of the whole image, or a background click labelled 0; the target is empty.
        int[] clean = {0, 0, 0, 2};
        MaskPrompt whole = MaskPrompts.sample(clean, 2, 2, PromptMode.BOX, new SplittableRandom(0));
        assertArrayEquals(new float[] {0, 0, 1, 1}, whole.coords());
        assertArrayEquals(new int[] {0, 0, 0, 2}, whole.target());
        MaskPrompt click = MaskPrompts.sample(clean, 2, 2, PromptMode.POINT, new SplittableRandom(0));
        assertEquals(0, click.label());
        assertEquals(0, clean[(int) click.coords()[1] * 2 + (int) click.coords()[0]]);
        assertArrayEquals(new int[] {0, 0, 1, 2}, MaskPrompts.binary(new int[] {0, 0, 3, 4}, 4));
    }
}
