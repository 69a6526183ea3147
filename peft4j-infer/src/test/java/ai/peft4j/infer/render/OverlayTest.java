package ai.peft4j.infer.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import org.junit.jupiter.api.Test;

class OverlayTest {
    @Test
    void blend_computesPointFourImagePlusPointSixColourRoundedHalfUp() {
        RgbImage image = new RgbImage(2, 1, new byte[] {100, (byte) 150, (byte) 200, 10, 20, 30});
        Palette palette = Palette.of(0, 0, 0, 128, 0, 0);
        RgbImage out = Overlay.blend(image, new int[] {1, 0}, palette);
        // Pixel 0, class 1 (128, 0, 0): 0.4*100 + 0.6*128 = 116.8 -> 117; 0.4*150 = 60; 0.4*200 = 80.
        assertEquals(117, out.get(0, 0, 0));
        assertEquals(60, out.get(0, 0, 1));
        assertEquals(80, out.get(0, 0, 2));
        // Pixel 1, background black: 0.4*(10, 20, 30) = (4, 8, 12).
        assertEquals(4, out.get(1, 0, 0));
        assertEquals(8, out.get(1, 0, 1));
        assertEquals(12, out.get(1, 0, 2));
    }

    @Test
    void blend_roundsHalvesUpAndKeepsWhiteWhite() {
        RgbImage image = new RgbImage(1, 1, new byte[] {(byte) 255, 1, 3});
        // alpha 0.5: (255 + 255) / 2 = 255; (1 + 0) / 2 = 0.5 -> 1; (3 + 0) / 2 = 1.5 -> 2.
        RgbImage out = Overlay.blend(image, new int[] {0}, Palette.of(255, 0, 0), 0.5);
        assertEquals(255, out.get(0, 0, 0));
        assertEquals(1, out.get(0, 0, 1));
        assertEquals(2, out.get(0, 0, 2));
    }

    @Test
    void blend_refusesAMaskOfAnotherSize() {
        RgbImage image = RgbImage.filled(2, 2, 0, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> Overlay.blend(image, new int[3], Palette.voc()));
    }
}
