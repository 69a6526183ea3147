package ai.peft4j.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.Sample;
import ai.peft4j.data.TestImages;
import ai.peft4j.data.image.RgbImage;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LetterboxTest {
    private static final SplittableRandom UNUSED = new SplittableRandom(0);

    @Test
    void wideImage_isCentredWithGreyRowsAndBackgroundMask() {
        // 4x2 into 4x4: scale min(4/4, 4/2) = 1, no resize, pasted at row (4 - 2) / 2 = 1.
        RgbImage img = TestImages.gradient(4, 2);
        int[] mask = {1, 2, 3, 1, 2, 3, 1, 2};
        LabelledImage out = Letterbox.square(4).apply(new LabelledImage("a", img, mask), UNUSED);
        assertEquals(4, out.width());
        assertEquals(4, out.height());
        for (int x = 0; x < 4; x++) {
            for (int y : new int[] {0, 3}) {
                assertEquals(0x808080, out.image().rgb(x, y), "grey padding at " + x + "," + y);
            }
            for (int y = 1; y <= 2; y++) {
                assertEquals(img.rgb(x, y - 1), out.image().rgb(x, y));
            }
        }
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 2, 3, 1, 2, 3, 1, 2, 0, 0, 0, 0}, out.mask());
        Sample s = out.toSample();
        assertEquals(128 / 255f, s.image()[0]);
        assertEquals(10 / 255f, s.image()[4 + 1]);
    }

    @Test
    void upscaledImage_matchesPilBicubicValues() {
        // 2x1 into 4x4: scale 2, image 4x2 at row 1. PIL's bicubic (a = -0.5) from 2 to 4 columns weighs the two
        // source pixels (1.0882, -0.0882), (0.7929, 0.2071), (0.2071, 0.7929), (-0.0882, 1.0882):
        // 100 and 200 give 91.18, 120.71, 179.29, 208.82, rounded 91, 121, 179, 209.
        RgbImage img = new RgbImage(2, 1, new byte[] {100, 0, 50, (byte) 200, (byte) 255, 50});
        LabelledImage out = Letterbox.square(4).apply(new LabelledImage("b", img, new int[] {1, 2}), UNUSED);
        int[] red = new int[4];
        int[] green = new int[4];
        for (int x = 0; x < 4; x++) {
            red[x] = out.image().get(x, 1, 0);
            green[x] = out.image().get(x, 1, 1);
            assertEquals(out.image().rgb(x, 1), out.image().rgb(x, 2), "one source row repeats");
            assertEquals(50, out.image().get(x, 1, 2));
            assertEquals(0x808080, out.image().rgb(x, 0));
            assertEquals(0x808080, out.image().rgb(x, 3));
        }
        assertArrayEquals(new int[] {91, 121, 179, 209}, red);
        // 0 and 255: -22.5 clips to 0; 52.8 -> 53; 202.2 -> 202; 277.5 clips to 255.
        assertArrayEquals(new int[] {0, 53, 202, 255}, green);
        // Nearest: source columns 0, 0, 1, 1.
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0}, out.mask());
    }

    @Test
    void placement_fitsTheLongerSide() {
        assertEquals(new Letterbox.Placement(0, 0, 224, 224), Letterbox.square(224).placement(200, 200));
        assertEquals(new Letterbox.Placement(0, 56, 224, 112), Letterbox.square(224).placement(400, 200));
        // 469x370 (a magnetic tile): scale 224/469, height int(370 * 0.4776) = 176, top (224 - 176) / 2 = 24.
        assertEquals(new Letterbox.Placement(0, 24, 224, 176), Letterbox.square(224).placement(469, 370));
    }

    @Test
    void shrinking_spreadsALineOverPilsWiderKernel() {
        // A bright column at x = 3 of 8, shrunk to 4 columns: PIL doubles the kernel's support (to 4 source
        // pixels). Output 1 (centre 3.0) weighs pixel 3 by cubic(0.25) / sum = 0.8672 / 2.0234: 109.3 -> 109;
        // output 2 (centre 5.0) by cubic(0.75) / sum = 0.2266 / 2.0234: 28.6 -> 29; outputs 0 and 3 give it
        // negative weights (cubic(1.25) and cubic(1.75)), clipped to 0.
        byte[] p = new byte[3 * 8];
        p[3 * 3] = (byte) 255;
        RgbImage out = Resampling.bicubic(new RgbImage(8, 1, p), 4, 1);
        int[] red = new int[4];
        for (int x = 0; x < 4; x++) {
            red[x] = out.get(x, 0, 0);
        }
        assertArrayEquals(new int[] {0, 109, 29, 0}, red);
    }
}
