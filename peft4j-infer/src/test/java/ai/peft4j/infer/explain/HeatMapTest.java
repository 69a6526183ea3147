package ai.peft4j.infer.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import org.junit.jupiter.api.Test;

class HeatMapTest {
    @Test
    void jet_runsFromDarkBlueThroughGreenToDarkRed() {
        assertEquals(0x000080, HeatMap.jet(0));
        assertEquals(0x0080FF, HeatMap.jet(0.25));
        assertEquals(0x80FF80, HeatMap.jet(0.5));
        assertEquals(0xFF8000, HeatMap.jet(0.75));
        assertEquals(0x800000, HeatMap.jet(1));
        assertEquals(HeatMap.jet(1), HeatMap.jet(7), "clamped");
    }

    @Test
    void onImage_takesTheLetterboxedRegionBackToTheImageSize() {
        // A 4x4 input whose rows 1 and 2 hold a 4x2 image (grey bands above and below).
        float[] input = {9, 9, 9, 9, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 9, 9, 9, 9};
        ModuleMap map = new ModuleMap("m", new FeatureLayout("nchw", 1, 4, 4), input, 4, 4, input);
        HeatMap same = HeatMap.onImage(map, new Letterbox.Placement(0, 1, 4, 2), 4, 2);
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}, same.values(), 1e-6f);
        // Twice the size: half-pixel centres, clamped to the crop, so the bands (9) never reach the edges.
        HeatMap twice = HeatMap.onImage(map, new Letterbox.Placement(0, 1, 4, 2), 8, 4);
        assertEquals(0.1f, twice.values()[0], 1e-6f);
        assertEquals(0.1f + 0.25f * 0.1f, twice.values()[1], 1e-6f);
        assertEquals(0.1f + 0.25f * 0.4f, twice.values()[8], 1e-6f);
        assertEquals(0.5f, twice.values()[24], 1e-6f);
        assertEquals(0.8f, twice.values()[31], 1e-6f);
    }

    @Test
    void over_blendsTheColourAtAlpha() {
        HeatMap map = new HeatMap(2, 1, new float[] {0, 1});
        RgbImage image = new RgbImage(2, 1, new byte[] {100, 100, 100, (byte) 200, 0, 50});
        RgbImage out = map.over(image, HeatMap.ALPHA);
        // 0.6 image + 0.4 colour, rounded: (0, 0, 128) over grey 100; (128, 0, 0) over (200, 0, 50).
        assertArrayEquals(new byte[] {60, 60, 111, (byte) 171, 0, 30}, out.pixels());
    }
}
