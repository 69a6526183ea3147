package ai.peft4j.infer.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Resampling;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SlidingWindowTest {
    /** A pointwise model (10 x each colour channel): translation-equivariant, so tiles see what the image sees. */
    private static NDArray pointwise(NDArray x) {
        return x.mul(10f);
    }

    private static RgbImage noise(int width, int height, long seed) {
        byte[] p = new byte[3 * width * height];
        new Random(seed).nextBytes(p);
        return new RgbImage(width, height, p);
    }

    /** The argmax of the pointwise logits of the whole image in one pass. */
    private static int[] wholeImage(RgbImage image) {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray x = m.create(image.toChannelsFirst(), new Shape(1, 3, image.height(), image.width()));
            float[] logits = pointwise(x).toFloatArray();
            return new SlidingWindow.Logits(logits, 3, image.height(), image.width()).argmax();
        }
    }

    @Test
    void origins_overlapByTheShare_lastTileAlignedToTheBorder() {
        assertArrayEquals(new int[] {0, 24, 48, 68}, SlidingWindow.origins(100, 32, 0.25));
        assertArrayEquals(new int[] {0, 32, 64, 68}, SlidingWindow.origins(100, 32, 0));
        assertArrayEquals(new int[] {0}, SlidingWindow.origins(32, 32, 0.5));
        assertArrayEquals(new int[] {0}, SlidingWindow.origins(20, 32, 0.5));
    }

    @Test
    void pointwiseModel_tilesGiveExactlyTheWholeImageClassMap() {
        RgbImage image = noise(101, 77, 1);
        List<Shape> calls = new ArrayList<>();
        SlidingWindow w = new SlidingWindow(32, 0.25, 5, 1.0);
        int[] tiled = w.classes(image, x -> {
            calls.add(x.getShape());
            return pointwise(x);
        }).classes();
        assertArrayEquals(wholeImage(image), tiled);
        // Columns at 0, 24, 48, 69 and rows at 0, 24, 45: 12 tiles in batches of 5, 5 and 2.
        assertEquals(List.of(new Shape(5, 3, 32, 32), new Shape(5, 3, 32, 32), new Shape(2, 3, 32, 32)), calls);
    }

    @Test
    void constantLogits_blendToTheSameConstantsAcrossSeams() {
        float[] constant = {1.5f, -2f, 0.25f};
        SlidingWindow w = new SlidingWindow(16, 0.5, 4, 1.0);
        SlidingWindow.Logits out = w.logits(noise(70, 45, 2), x -> {
            NDManager m = x.getManager();
            long n = x.getShape().get(0);
            return m.create(constant, new Shape(1, 3, 1, 1)).broadcast(new Shape(n, 3, 16, 16)).add(0f);
        });
        int plane = 70 * 45;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                assertEquals(constant[c], out.values()[c * plane + i], 1e-5, "class " + c + " pixel " + i);
            }
        }
    }

    @Test
    void imageSmallerThanATile_isPaddedAndPredictedAtItsOwnSize() {
        RgbImage image = noise(20, 12, 3);
        List<Shape> calls = new ArrayList<>();
        int[] tiled = new SlidingWindow(32, 0.25, 8, 1.0).classes(image, x -> {
            calls.add(x.getShape());
            return pointwise(x);
        }).classes();
        assertEquals(List.of(new Shape(1, 3, 32, 32)), calls);
        assertArrayEquals(wholeImage(image), tiled);
    }

    @Test
    void modelWithItsOwnOutputSize_isResizedToTheTile() {
        RgbImage image = noise(40, 40, 4);
        SlidingWindow.Logits out = new SlidingWindow(32, 0.25, 2, 1.0).logits(image, x -> {
            long n = x.getShape().get(0);
            return x.getManager().ones(new Shape(n, 2, 8, 8));
        });
        assertEquals(40, out.width());
        assertEquals(2, out.classes());
        assertEquals(1f, out.values()[5], 1e-6);
    }

    @Test
    void halfScale_tilesTheHalfSizeImageAndMapsBackToTheOriginalSize() {
        // Blocks of one colour, so that the class map has large regions and few near-ties at their edges.
        RgbImage image = blocks(96, 64, 8, 5);
        SlidingWindow w = new SlidingWindow(16, 0.25, 4, 0.5);
        int[] tiled = w.classes(image, SlidingWindowTest::pointwise).classes();
        assertEquals(96 * 64, tiled.length);
        RgbImage half = Resampling.bicubic(image, 48, 32);
        SlidingWindow.Logits direct;
        try (NDManager m = EngineSetup.newManager()) {
            NDArray x = m.create(half.toChannelsFirst(), new Shape(1, 3, 32, 48));
            direct = SlidingWindow.resize(new SlidingWindow.Logits(pointwise(x).toFloatArray(), 3, 32, 48), 64, 96);
        }
        int[] expected = direct.argmax();
        int differ = 0;
        for (int i = 0; i < tiled.length; i++) {
            if (tiled[i] != expected[i]) {
                differ++;
                float[] v = direct.values();
                float margin = Math.abs(v[expected[i] * tiled.length + i] - v[tiled[i] * tiled.length + i]);
                assertTrue(margin < 1e-4, "pixel " + i + " differs by a margin of " + margin);
            }
        }
        assertTrue(differ <= 3, differ + " pixels differ");
    }

    private static RgbImage blocks(int width, int height, int cell, long seed) {
        Random r = new Random(seed);
        int[][] colours = new int[(width / cell + 1) * (height / cell + 1)][];
        for (int i = 0; i < colours.length; i++) {
            colours[i] = new int[] {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
        }
        byte[] p = new byte[3 * width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int[] c = colours[(y / cell) * (width / cell + 1) + x / cell];
                for (int k = 0; k < 3; k++) {
                    p[3 * (y * width + x) + k] = (byte) c[k];
                }
            }
        }
        return new RgbImage(width, height, p);
    }

    @Test
    void settings_outOfRange_areRefusedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SlidingWindow(32, 1.0, 4, 1.0));
        assertEquals("tile overlap is a share of the tile in [0, 1), got 1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(32, 0.25, 4, 0));
        assertEquals("scale must be a positive number, got 0.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(32, 0.25, 0, 1));
        assertEquals("tile batch must be at least 1, got 0", e.getMessage());
    }
}
