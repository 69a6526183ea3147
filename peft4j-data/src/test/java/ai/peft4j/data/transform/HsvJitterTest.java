package ai.peft4j.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.RgbImage;
import org.junit.jupiter.api.Test;

class HsvJitterTest {
    @Test
    void rgbToHsv_matchesOpenCvEightBit() {
        int[] hsv = new int[3];
        HsvJitter.toHsv(255, 0, 0, hsv);
        assertArrayEquals(new int[] {0, 255, 255}, hsv);
        HsvJitter.toHsv(0, 255, 0, hsv);
        assertArrayEquals(new int[] {60, 255, 255}, hsv);
        HsvJitter.toHsv(0, 0, 255, hsv);
        assertArrayEquals(new int[] {120, 255, 255}, hsv);
        // (128, 64, 32): value 128, saturation 255 * 96 / 128 = 191.25 -> 191, hue 60 * 32 / 96 / 2 = 10.
        HsvJitter.toHsv(128, 64, 32, hsv);
        assertArrayEquals(new int[] {10, 191, 128}, hsv);
        HsvJitter.toHsv(128, 128, 128, hsv);
        assertArrayEquals(new int[] {0, 0, 128}, hsv);
    }

    @Test
    void unitFactors_changeColoursByAtMostTheHsvRoundTrip() {
        byte[] p = new byte[3 * 256];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (i * 37 + i / 3);
        }
        RgbImage in = new RgbImage(256, 1, p);
        RgbImage out = HsvJitter.apply(in, 1, 1, 1);
        int worst = 0;
        for (int i = 0; i < p.length; i++) {
            worst = Math.max(worst, Math.abs((p[i] & 0xFF) - (out.pixels()[i] & 0xFF)));
        }
        // Hue has 180 steps for 360 degrees: a saturated colour can move by up to about 255 * 6 / 360 / 2 * 2.
        assertTrue(worst <= 5, "round trip moved a channel by " + worst);
        // Grey has no hue: it survives exactly, and value scaling scales it.
        RgbImage grey = RgbImage.filled(1, 1, 128, 128, 128);
        assertEquals(0x808080, HsvJitter.apply(grey, 1.1, 1.5, 1).rgb(0, 0));
        assertEquals(0x595959, HsvJitter.apply(grey, 1, 1, 0.7).rgb(0, 0));
    }
}
