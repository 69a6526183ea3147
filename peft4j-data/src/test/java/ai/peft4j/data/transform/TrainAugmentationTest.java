package ai.peft4j.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainAugmentationTest {
    /**
     * A 64x48 image of red, blue and grey blocks (8x8 each, asymmetric so that a flip matters) whose mask is
     * read off its own colours: red 1, blue 2, grey 0 (the canvas grey). With {@code blue} false, blue blocks are
     * grey too: two colours, whose blends are symmetric about the edges.
     */
    private static LabelledImage colourCoded() {
        return colourCoded(true);
    }

    private static LabelledImage colourCoded(boolean blue) {
        int w = 64;
        int h = 48;
        byte[] p = new byte[3 * w * h];
        int[] mask = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int bx = x / 8;
                int by = y / 8;
                int cls = (bx * 3 + by * 5 + bx * by) % 4 == 0 ? 1 : (bx + 2 * by) % 3 == 0 ? 2 : 0;
                if (x < 8 && y < 24) {
                    cls = 1;
                }
                if (cls == 2 && !blue) {
                    cls = 0;
                }
                int[] rgb = cls == 1 ? new int[] {220, 30, 30} : cls == 2 ? new int[] {30, 40, 220}
                        : new int[] {128, 128, 128};
                int i = y * w + x;
                mask[i] = cls;
                p[3 * i] = (byte) rgb[0];
                p[3 * i + 1] = (byte) rgb[1];
                p[3 * i + 2] = (byte) rgb[2];
            }
        }
        return new LabelledImage("coded", new RgbImage(w, h, p), mask);
    }

    /** The class a pixel's colour says it is: red, blue or neither. */
    private static int classOfColour(RgbImage img, int x, int y) {
        int r = img.get(x, y, 0);
        int b = img.get(x, y, 2);
        // Saturation can drop to 0.3 and value to 0.7 of the original: a blue of (30, 40, 220) keeps b - r > 30.
        return r - b > 15 ? 1 : b - r > 15 ? 2 : 0;
    }

    @Test
    void imageAndMask_stayAlignedUnderThePublishedAugmentation() {
        LabelledImage in = colourCoded();
        TrainAugmentation aug = TrainAugmentation.published(96);
        int interior = 0;
        for (int seed = 0; seed < 60; seed++) {
            LabelledImage out = aug.apply(in, new SplittableRandom(seed));
            assertEquals(96, out.width());
            assertEquals(96, out.height());
            // Away from edges (bicubic blends up to 2 source pixels, 8 output pixels at the largest enlargement)
            // every pixel's colour names its mask class.
            for (int y = 8; y < 88; y++) {
                for (int x = 8; x < 88; x++) {
                    if (uniformAround(out.mask(), x, y, 8)) {
                        assertEquals(out.mask()[y * 96 + x], classOfColour(out.image(), x, y),
                                "seed " + seed + " at " + x + "," + y);
                        interior++;
                    }
                }
            }
        }
        // Near edges too: on red and grey alone, a pixel whose colour (split at half the red's strength) and mask
        // disagree lies on a mask edge. Blends at an edge make such ties (PIL's nearest takes the right-hand pixel
        // when a sample falls exactly on a source edge), but a mask shifted by two pixels or more would disagree
        // away from edges.
        LabelledImage twoColours = colourCoded(false);
        int ties = 0;
        for (int seed = 0; seed < 60; seed++) {
            LabelledImage out = aug.apply(twoColours, new SplittableRandom(seed));
            int strongest = 0;
            for (int i = 0; i < out.mask().length; i++) {
                strongest = Math.max(strongest, redness(out.image(), i % 96, i / 96));
            }
            for (int y = 1; y < 95; y++) {
                for (int x = 1; x < 95; x++) {
                    int byColour = 2 * redness(out.image(), x, y) > strongest ? 1 : 0;
                    if (byColour != out.mask()[y * 96 + x]) {
                        assertFalse(uniformAround(out.mask(), x, y, 1), "seed " + seed + " at " + x + "," + y
                                + ": colour and mask disagree away from an edge");
                        ties++;
                    }
                }
            }
        }
        assertTrue(ties < 60 * 96 * 96 / 100, ties + " pixels disagree");
        assertTrue(interior > 20_000, "only " + interior + " interior pixels were compared");
    }

    private static int redness(RgbImage img, int x, int y) {
        return img.get(x, y, 0) - img.get(x, y, 2);
    }

    @Test
    void enlargedThreeTimes_maskIsTheSourceBlocksAtTheDrawnOffset() {
        // Scale 2 of the output and no aspect jitter: the 64x48 pair becomes 192x144 (three times) on a 96x96
        // canvas, offset by the drawn (negative) dx, dy. The draws come in the published order: two aspect
        // factors, scale, flip, dx, dy.
        TrainAugmentation twice = new TrainAugmentation(96, 96, 0, 2, 2, 0, 0.1, 0.7, 0.3);
        LabelledImage in = colourCoded();
        for (int seed = 0; seed < 5; seed++) {
            SplittableRandom draws = new SplittableRandom(seed);
            for (int i = 0; i < 4; i++) {
                draws.nextDouble();
            }
            int dx = (int) (draws.nextDouble() * (96 - 192));
            int dy = (int) (draws.nextDouble() * (96 - 144));
            LabelledImage out = twice.apply(in, new SplittableRandom(seed));
            for (int y = 0; y < 96; y++) {
                for (int x = 0; x < 96; x++) {
                    int sx = (x - dx) / 3;
                    int sy = (y - dy) / 3;
                    int expected = sy < 48 ? in.mask()[sy * 64 + sx] : 0;
                    assertEquals(expected, out.mask()[y * 96 + x], "seed " + seed + " at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void sameGenerator_givesTheSameResultAndAnotherDiffers() {
        LabelledImage in = colourCoded();
        TrainAugmentation aug = TrainAugmentation.published(64);
        LabelledImage a = aug.apply(in, new SplittableRandom(7));
        LabelledImage b = aug.apply(in, new SplittableRandom(7));
        LabelledImage c = aug.apply(in, new SplittableRandom(8));
        assertArrayEquals(a.image().pixels(), b.image().pixels());
        assertArrayEquals(a.mask(), b.mask());
        assertFalse(Arrays.equals(a.image().pixels(), c.image().pixels()));
    }

    @Test
    void noJitterNoFlipFullScale_isAPlainResize() {
        // Scale fixed at 1, no aspect jitter, no flip, no colour change: the image fills the canvas exactly.
        TrainAugmentation plain = new TrainAugmentation(64, 48, 0, 1, 1, 0, 0, 0, 0);
        LabelledImage in = colourCoded();
        LabelledImage out = plain.apply(in, new SplittableRandom(3));
        assertArrayEquals(in.mask(), out.mask());
        int worst = 0;
        for (int i = 0; i < in.image().pixels().length; i++) {
            worst = Math.max(worst, Math.abs((in.image().pixels()[i] & 0xFF) - (out.image().pixels()[i] & 0xFF)));
        }
        assertTrue(worst <= 3, "only the HSV round trip may move a channel, by " + worst);
    }

    @Test
    void flipAlways_mirrorsMaskAndImageTogether() {
        TrainAugmentation mirror = new TrainAugmentation(64, 48, 0, 1, 1, 1.0, 0, 0, 0);
        LabelledImage in = colourCoded();
        LabelledImage out = mirror.apply(in, new SplittableRandom(3));
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                assertEquals(in.mask()[y * 64 + 63 - x], out.mask()[y * 64 + x]);
            }
        }
        assertEquals(1, out.mask()[63]);
        assertEquals(1, classOfColour(out.image(), 63, 0));
    }

    private static boolean uniformAround(int[] mask, int x, int y, int r) {
        int v = mask[y * 96 + x];
        for (int dy = -r; dy <= r; dy++) {
            for (int dx = -r; dx <= r; dx++) {
                if (mask[(y + dy) * 96 + x + dx] != v) {
                    return false;
                }
            }
        }
        return true;
    }
}
