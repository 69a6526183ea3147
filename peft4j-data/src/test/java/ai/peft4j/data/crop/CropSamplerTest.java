package ai.peft4j.data.crop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CropSamplerTest {
    /**
     * Four pairs: 0 and 1 are 200x150 with a 60x60 block of the common class 1; 2 is 200x150 with one pixel of the
     * rare class 2 at (150, 100); 3 is 40x30 without defects. Each pixel's red and green are its x and y (mod 256),
     * blue its image index, so a crop tells where it was cut.
     */
    static final class Pairs implements ImageDataset {
        @Override
        public String name() {
            return "pairs";
        }

        @Override
        public List<String> classNames() {
            return List.of("background", "common", "rare");
        }

        @Override
        public int size() {
            return 4;
        }

        @Override
        public LabelledImage read(int index) {
            int w = index == 3 ? 40 : 200;
            int h = index == 3 ? 30 : 150;
            byte[] p = new byte[3 * w * h];
            int[] mask = new int[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    p[3 * i] = (byte) x;
                    p[3 * i + 1] = (byte) y;
                    p[3 * i + 2] = (byte) index;
                    if (index < 2 && x >= 20 && x < 80 && y >= 30 && y < 90) {
                        mask[i] = 1;
                    }
                }
            }
            if (index == 2) {
                mask[100 * w + 150] = 2;
            }
            return new LabelledImage("s" + index, new RgbImage(w, h, p), mask);
        }
    }

    private static final Pairs DATA = new Pairs();
    private static final DefectIndex INDEX = DefectIndex.build(DATA, 0);

    private static CropSampler sampler(int size, double scale, double share, boolean augment, boolean rotate) {
        return new CropSampler(DATA, INDEX, new CropConfig(size, scale, share, augment, rotate), 7);
    }

    private static boolean holds(int[] mask, int c) {
        for (int v : mask) {
            if (v == c) {
                return true;
            }
        }
        return false;
    }

    @Test
    void index_keepsABoundedUniformSampleOfEachClassesPixels() {
        int[] common = INDEX.positions(0, 1);
        assertEquals(DefectIndex.KEPT, common.length);
        Set<Integer> distinct = new HashSet<>();
        for (int p : common) {
            assertTrue(p % 200 >= 20 && p % 200 < 80 && p / 200 >= 30 && p / 200 < 90, "position " + p);
            distinct.add(p);
        }
        assertEquals(DefectIndex.KEPT, distinct.size());
        assertArrayEquals(new int[] {100 * 200 + 150}, INDEX.positions(2, 2));
        assertArrayEquals(new int[0], INDEX.positions(3, 1));
        assertArrayEquals(new int[] {1, 2}, INDEX.presentClasses());
        assertArrayEquals(new int[] {0, 1}, INDEX.imagesWith(1));
    }

    @Test
    void defectShareOne_everyCropHoldsADefect_rareClassAsOftenAsTheCommonOne() {
        CropSampler s = sampler(64, 1.0, 1.0, false, false);
        int rare = 0;
        int n = 400;
        for (int k = 0; k < n; k++) {
            LabelledImage crop = s.crop(k % 4, k / 4);
            boolean r = holds(crop.mask(), 2);
            assertTrue(r || holds(crop.mask(), 1), "crop " + k + " holds no defect");
            if (r) {
                rare++;
                // Centred on the one rare pixel, which is far from the borders.
                assertEquals(2, crop.mask()[32 * 64 + 32]);
            }
        }
        assertTrue(rare > 0.4 * n && rare < 0.6 * n, rare + " of " + n + " crops hold the rare class");
    }

    @Test
    void defectShareZero_cropsAreExactWindowsAnywhereInTheImage() {
        CropSampler s = sampler(64, 1.0, 0.0, false, false);
        int minLeft = Integer.MAX_VALUE;
        int maxLeft = -1;
        for (int epoch = 0; epoch < 200; epoch++) {
            LabelledImage crop = s.crop(2, epoch);
            int left = crop.image().get(0, 0, 0);
            int top = crop.image().get(0, 0, 1);
            assertEquals(2, crop.image().get(0, 0, 2), "crops of index 2 come from image 2");
            for (int y = 0; y < 64; y += 9) {
                for (int x = 0; x < 64; x += 7) {
                    assertEquals(left + x, crop.image().get(x, y, 0));
                    assertEquals(top + y, crop.image().get(x, y, 1));
                }
            }
            assertTrue(left <= 200 - 64 && top <= 150 - 64);
            minLeft = Math.min(minLeft, left);
            maxLeft = Math.max(maxLeft, left);
        }
        assertTrue(minLeft < 15 && maxLeft > 120, "lefts " + minLeft + "-" + maxLeft);
    }

    @Test
    void imageSmallerThanTheCrop_isPaddedGreyWithTheIgnoreLabel() {
        LabelledImage crop = sampler(64, 1.0, 0.0, false, false).crop(3, 0);
        int ignored = 0;
        int grey = 0;
        for (int i = 0; i < 64 * 64; i++) {
            if (crop.mask()[i] == 3) {
                ignored++;
                int x = i % 64;
                int y = i / 64;
                if (crop.image().get(x, y, 0) == 128 && crop.image().get(x, y, 1) == 128
                        && crop.image().get(x, y, 2) == 128) {
                    grey++;
                }
            } else {
                assertEquals(0, crop.mask()[i]);
            }
        }
        assertEquals(64 * 64 - 40 * 30, ignored);
        assertEquals(ignored, grey);
        assertEquals(List.of("s3 (40x30)"), INDEX.smallerThan(64, 1.0));
    }

    @Test
    void halfScale_cropsTheResizedImage_andNamesTheImagesItMakesSmallerThanACrop() {
        assertEquals(List.of("s3 (40x30, 20x15 at scale 0.5)"), INDEX.smallerThan(64, 0.5));
        assertEquals(List.of("s0 (200x150, 100x75 at scale 0.5)", "s1 (200x150, 100x75 at scale 0.5)",
                "s2 (200x150, 100x75 at scale 0.5)", "s3 (40x30, 20x15 at scale 0.5)"), INDEX.smallerThan(80, 0.5));
        LabelledImage small = sampler(64, 0.5, 0.0, false, false).crop(3, 0);
        int ignored = 0;
        for (int v : small.mask()) {
            ignored += v == 3 ? 1 : 0;
        }
        assertEquals(64 * 64 - 20 * 15, ignored);
        // The 60x60 block becomes 30x30: a defect-centred crop holds all of it and nothing else of class 1.
        LabelledImage block = sampler(64, 0.5, 1.0, false, false).crop(0, 1);
        int common = 0;
        for (int v : block.mask()) {
            common += v == 1 ? 1 : 0;
        }
        assertTrue(common == 0 || common == 30 * 30, common + " class-1 pixels");
    }

    @Test
    void rotate90_turnsTheSameCropByEachQuarter() {
        CropSampler plain = sampler(32, 1.0, 0.0, false, false);
        CropSampler turned = sampler(32, 1.0, 0.0, false, true);
        Set<Integer> turns = new HashSet<>();
        for (int epoch = 0; epoch < 40; epoch++) {
            LabelledImage a = plain.crop(0, epoch);
            LabelledImage b = turned.crop(0, epoch);
            RgbImage r = a.image();
            int[] m = a.mask();
            int found = -1;
            for (int k = 0; k < 4; k++) {
                if (java.util.Arrays.equals(r.pixels(), b.image().pixels())) {
                    assertArrayEquals(m, b.mask());
                    found = k;
                    break;
                }
                r = CropSampler.rotate(r);
                m = CropSampler.rotate(m, 32);
            }
            assertTrue(found >= 0, "epoch " + epoch + ": not a rotation of the plain crop");
            turns.add(found);
        }
        assertEquals(Set.of(0, 1, 2, 3), turns);
    }

    @Test
    void sameIndexAndEpoch_giveTheSameCrop_otherEpochsAnother() {
        CropSampler s = sampler(64, 1.0, 0.5, true, true);
        assertArrayEquals(s.crop(1, 3).image().pixels(), s.crop(1, 3).image().pixels());
        assertTrue(!java.util.Arrays.equals(s.crop(1, 3).image().pixels(), s.crop(1, 4).image().pixels()));
    }

    @Test
    void settings_outOfRange_areRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CropConfig(64, 1.0, 1.5, true, false));
        assertEquals("defect share must be between 0 and 1, got 1.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new CropConfig(64, -1, 0.5, true, false));
        assertEquals("scale must be a positive number, got -1.0", e.getMessage());
    }

    @Test
    void defectIndex_aDataSetWithUnreadablePairs_failsOnTheFirstInDataSetOrderEveryTime() {
        // 64 pairs read in parallel; pairs 5 and up fail, each with its own message.
        ImageDataset broken = new ImageDataset() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public List<String> classNames() {
                return List.of("background", "defect");
            }

            @Override
            public int size() {
                return 64;
            }

            @Override
            public LabelledImage read(int index) {
                if (index >= 5) {
                    throw new ai.peft4j.data.DataException(java.nio.file.Path.of("m" + index + ".png"), "bad mask");
                }
                return new LabelledImage("s" + index, new RgbImage(4, 4, new byte[48]), new int[16]);
            }
        };
        for (int run = 0; run < 20; run++) {
            ai.peft4j.data.DataException e = assertThrows(ai.peft4j.data.DataException.class,
                    () -> DefectIndex.build(broken, 0));
            assertEquals(java.nio.file.Path.of("m5.png"), e.file());
        }
    }
}
