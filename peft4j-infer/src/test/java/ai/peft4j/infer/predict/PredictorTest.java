package ai.peft4j.infer.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class PredictorTest {
    /**
     * Logits that read the class off the input colour: 10 x red, green, blue for classes 0-2, and a constant 6 for
     * class 3. A pure red, green or blue pixel is its class (10 against 6); the letterbox grey (0.5 per channel,
     * 5.02) is class 3, so any canvas pixel that leaks into the un-letterboxed map shows up as class 3.
     */
    static final class ColourLogits extends Module implements Layer {
        @Override
        public NDArray forward(NDArray x) {
            NDArray colours = x.mul(10f);
            NDArray canvas = x.getManager().full(new ai.djl.ndarray.types.Shape(x.getShape().get(0), 1,
                    x.getShape().get(2), x.getShape().get(3)), 6f);
            return NDArrays.concat(new ai.djl.ndarray.NDList(colours, canvas), 1);
        }
    }

    private static final int[][] RGB = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};

    /**
     * An image of pure red, green and blue cells, class {@code (x / cellWidth + 2 y / cellHeight) % 3}: square blocks,
     * or stripes when one side of the cell spans the image. Shrinking blurs the colours of a corner where three
     * cells meet below the canvas logit, so the shrinking cases use stripes, whose edges mix two colours only.
     */
    private static RgbImage cells(int width, int height, int cellWidth, int cellHeight, int[] expected) {
        byte[] p = new byte[3 * width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int c = (x / cellWidth + 2 * (y / cellHeight)) % 3;
                expected[y * width + x] = c;
                for (int k = 0; k < 3; k++) {
                    p[3 * (y * width + x) + k] = (byte) RGB[c][k];
                }
            }
        }
        return new RgbImage(width, height, p);
    }

    private static int[] predict(RgbImage image, int size) {
        try (NDManager m = EngineSetup.newManager();
                Predictor p = Predictor.builder().setModel(new ColourLogits()).setInputSize(size).build()) {
            Prediction pr = p.predict(image);
            assertEquals(image.width(), pr.width());
            assertEquals(image.height(), pr.height());
            return pr.mask();
        }
    }

    @Test
    void unLetterbox_enlargedWideImage_mapsBackToTheExactOriginalPixels() {
        // 56x28 into 112x112: scale 2, placed at rows 28-83 of the canvas (28 grey rows above and below).
        int[] expected = new int[56 * 28];
        RgbImage image = cells(56, 28, 7, 7, expected);
        assertArrayEquals(expected, predict(image, 112));
    }

    @Test
    void unLetterbox_shrunkenTallImage_mapsBackToTheExactOriginalPixels() {
        // 224x448 into 112x112: scale 1/4, placed at columns 28-83 (grey columns either side); horizontal stripes
        // 16 rows high are 4 canvas rows, so their edges fall between canvas pixels.
        int[] expected = new int[224 * 448];
        RgbImage image = cells(224, 448, 224, 16, expected);
        int[] got = predict(image, 112);
        assertArrayEquals(expected, got);
    }

    @Test
    void unLetterbox_fractionalScale_leavesNoCanvasPixelAndMissesOnlyBlockEdges() {
        // 200x120 into 112: scale 0.56, 112x67 at row 22 (the odd remainder goes below, as published); vertical
        // stripes 20 columns wide. A canvas pixel straddling a stripe edge mixes two colours, so the class may
        // differ within a pixel of an edge, nowhere else: a letterbox offset one canvas pixel off would move the
        // edges by 1.8 pixels and bring grey (class 3) into the first or last rows.
        int[] expected = new int[200 * 120];
        RgbImage image = cells(200, 120, 20, 120, expected);
        int[] got = predict(image, 112);
        int wrong = 0;
        for (int i = 0; i < got.length; i++) {
            if (got[i] != expected[i]) {
                wrong++;
                int x = i % 200;
                boolean nearEdge = Math.min(x % 20, 20 - x % 20) <= 1;
                assertTrue(nearEdge, "class " + got[i] + " instead of " + expected[i] + " away from stripe edges at x="
                        + x + ", y=" + i / 200);
            }
        }
        assertTrue(wrong <= 120 * 2 * 9, wrong + " wrong pixels");
    }

    /**
     * Offsets shift each class's logits before the argmax, in both paths: red (10 on class 0) lowered by 5 falls
     * below the constant 6 of class 3, so every red pixel becomes class 3; green and blue keep their class.
     */
    @Test
    void logitOffsets_shiftEachClassBeforeTheArgmax_inTheLetterboxAndSlidingWindowPaths() {
        int[] expected = new int[32 * 32];
        RgbImage image = cells(32, 32, 8, 8, expected);
        int[] lowered = expected.clone();
        for (int i = 0; i < lowered.length; i++) {
            lowered[i] = lowered[i] == 0 ? 3 : lowered[i];
        }
        float[] offsets = {-5f, 0f, 0f, 0f};
        try (Predictor boxed = Predictor.builder().setModel(new ColourLogits()).setInputSize(32)
                        .optLogitOffsets(offsets).build();
                Predictor tiled = Predictor.builder().setModel(new ColourLogits())
                        .optSlidingWindow(new SlidingWindow(16, 0.25, 2, 1.0)).optLogitOffsets(offsets).build();
                Predictor plain = Predictor.builder().setModel(new ColourLogits())
                        .optSlidingWindow(new SlidingWindow(16, 0.25, 2, 1.0)).build()) {
            assertArrayEquals(lowered, boxed.predict(image).mask());
            assertArrayEquals(lowered, tiled.predict(image).mask());
            assertArrayEquals(expected, plain.predict(image).mask());
            assertEquals(0, boxed.liveArrays());
        }
        // The prior of cross-entropy weights [1, 10]: 0 and -ln 10.
        assertArrayEquals(new float[] {0f, (float) -Math.log(10)},
                Predictor.Builder.priorOffsets(List.of(1.0, 10.0)), 0f);
        try (Predictor wrong = Predictor.builder().setModel(new ColourLogits()).setInputSize(32)
                .optLogitOffsets(new float[] {0f, 1f}).build()) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> wrong.predict(image));
            assertEquals("logit offsets for 2 classes, but the model gave logits of shape (1, 4, 32, 32)",
                    e.getMessage());
        }
    }

    @Test
    void predict_leavesGradientModeAsItWas() {
        int[] expected = new int[16 * 16];
        RgbImage image = cells(16, 16, 4, 4, expected);
        EngineSetup.engine();
        boolean before = ai.djl.pytorch.jni.JniUtils.isGradMode();
        assertArrayEquals(expected, predict(image, 32));
        assertEquals(before, ai.djl.pytorch.jni.JniUtils.isGradMode());
    }

    @Test
    void predictAll_oneForwardOfImagesOfSeveralShapes_givesEachItsOwnExactMap() {
        int[] wide = new int[48 * 20];
        int[] tall = new int[12 * 40];
        int[] square = new int[16 * 16];
        List<RgbImage> images = List.of(cells(48, 20, 48, 5, wide), cells(12, 40, 4, 40, tall),
                cells(16, 16, 4, 4, square));
        try (Predictor p = Predictor.builder().setModel(new ColourLogits()).setInputSize(32).build()) {
            List<Prediction> all = p.predictAll(images);
            assertEquals(3, all.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(images.get(i).width(), all.get(i).width());
                assertArrayEquals(p.predict(images.get(i)).mask(), all.get(i).mask(), "image " + i);
            }
            assertArrayEquals(square, all.get(2).mask());
            assertEquals(0, p.liveArrays(), "every array of the pass is closed");
        }
    }

    /**
     * A real segmentation network (the small Swin-Att-UNet, seeded) predicting images as large as one tile: the
     * sliding-window path (one tile, its Hann weight divided out) and the letterbox path (scale 1, softmax) give the
     * same class map, pixel for pixel, and so the same confusion matrix against the ground truth.
     */
    @Test
    void slidingWindow_oneTileAsLargeAsTheImage_givesTheLetterboxPathsMapAndScores() {
        SyntheticCitrus data = new SyntheticCitrus(CitrusDomain.ORANGE, 3, 64, 7);
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(3);
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(data.numClasses()));
            // The published head draw, N(0, 0.02), leaves logits that hardly depend on the image; a larger head
            // makes the class map vary over the image.
            NDArray head = model.stateDict().get("final_conv.weight");
            model.loadStateDict(java.util.Map.of("final_conv.weight", head.mul(200f)), false);
            ConfusionMatrix boxed = new ConfusionMatrix(data.numClasses());
            ConfusionMatrix tiled = new ConfusionMatrix(data.numClasses());
            int classesSeen = 0;
            try (Predictor letterbox = Predictor.builder().setModel(model).setInputSize(64).build();
                    Predictor window = Predictor.builder().setModel(model)
                            .optSlidingWindow(new SlidingWindow(64, 0.25, 2, 1.0)).build()) {
                for (int i = 0; i < data.size(); i++) {
                    LabelledImage pair = data.read(i);
                    int[] a = letterbox.predict(pair.image()).mask();
                    int[] b = window.predict(pair.image()).mask();
                    assertArrayEquals(a, b, "image " + i);
                    boxed.add(pair.mask(), a);
                    tiled.add(pair.mask(), b);
                    classesSeen = Math.max(classesSeen, (int) java.util.Arrays.stream(a).distinct().count());
                }
            }
            // The untrained network does not call every pixel one class, so the maps compared are not trivial.
            assertTrue(classesSeen > 1, "one class only");
            assertArrayEquals(boxed.iou(), tiled.iou(), 0.0);
        }
    }
}
