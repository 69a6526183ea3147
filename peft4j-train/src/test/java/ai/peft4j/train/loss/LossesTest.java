package ai.peft4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden values on one image of 1 x 4 pixels and 2 classes, worked out by hand. Logits are chosen so that the
 * softmax is simple: (0, ln 3) gives (0.25, 0.75), (0, 0) gives (0.5, 0.5).
 *
 * <pre>
 * pixel   logits       label        p(label)
 * 0       (0, ln 3)    1            0.75
 * 1       (ln 3, 0)    0            0.75
 * 2       (0, 0)       0            0.5
 * 3       (5, -5)      2 = ignore   -
 * </pre>
 */
class LossesTest {
    private static final double A = -Math.log(0.75);
    private static final double B = Math.log(2);
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = EngineSetup.newManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static NDArray logits() {
        float l3 = (float) Math.log(3);
        // [N=1, C=2, H=1, W=4]: channel 0 row, then channel 1 row.
        return manager.create(new float[] {0, l3, 0, 5, l3, 0, 0, -5}, new Shape(1, 2, 1, 4));
    }

    private static NDArray labels() {
        return manager.create(new int[] {1, 0, 0, 2}, new Shape(1, 1, 4));
    }

    private static double value(SegmentationLoss loss) {
        return loss.compute(logits(), labels()).getFloat();
    }

    @Test
    void crossEntropy_isMeanOverNonIgnoredPixels() {
        assertEquals((2 * A + B) / 3, value(new CrossEntropyLoss(2)), 1e-6);
    }

    @Test
    void crossEntropy_withClassWeights_isWeightedMean() {
        // torch: sum_i w[y_i] * ce_i / sum_i w[y_i]; pixel 0 has class 1 (weight 3).
        assertEquals((3 * A + A + B) / 5, value(new CrossEntropyLoss(2, new float[] {1, 3})), 1e-6);
    }

    @Test
    void crossEntropy_ignoresLogitsOfIgnoredPixels() {
        NDArray other = logits();
        other.set(new ai.djl.ndarray.index.NDIndex("0, :, 0, 3"), manager.create(new float[] {-40, 40})
                .reshape(2));
        double a = new CrossEntropyLoss(2).compute(logits(), labels()).getFloat();
        double b = new CrossEntropyLoss(2).compute(other, labels()).getFloat();
        assertEquals(a, b, 1e-7);
    }

    @Test
    void crossEntropy_gradientIsSoftmaxMinusTargetOverCount() {
        NDArray x = logits();
        x.setRequiresGradient(true);
        try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            gc.backward(new CrossEntropyLoss(2).compute(x, labels()));
        }
        float[] g = x.getGradient().toFloatArray();
        // d/dlogit_c = (p_c - t_c) / 3 on the three counted pixels, 0 on the ignored one.
        float[] expected = {0.25f / 3, -0.25f / 3, -0.5f / 3, 0, -0.25f / 3, 0.25f / 3, 0.5f / 3, 0};
        for (int i = 0; i < g.length; i++) {
            assertEquals(expected[i], g[i], 1e-6, "gradient element " + i);
        }
    }

    @Test
    void crossEntropy_allPixelsIgnored_isNaNAsInTorch() {
        NDArray ignored = manager.create(new int[] {2, 2, 2, 2}, new Shape(1, 1, 4));
        assertTrue(Float.isNaN(new CrossEntropyLoss(2).compute(logits(), ignored).getFloat()));
    }

    @Test
    void focal_matchesPublishedFormula() {
        // 0.5 * (1 - pt)^2 * ce per pixel, mean over all four pixels (the ignored one adds 0).
        double expected = (0.5 * 0.0625 * A * 2 + 0.5 * 0.25 * B + 0) / 4;
        assertEquals(expected, value(new FocalLoss(2, null)), 1e-6);
    }

    @Test
    void focal_withClassWeights_weightsEnterPt() {
        // Pixel 0 (class 1, weight 3): ce = 3A, pt = exp(-3A) = 0.75^3.
        double pt0 = Math.pow(0.75, 3);
        double expected = (0.5 * Math.pow(1 - pt0, 2) * 3 * A + 0.5 * 0.0625 * A + 0.5 * 0.25 * B) / 4;
        assertEquals(expected, value(new FocalLoss(2, new float[] {1, 3})), 1e-6);
    }

    @Test
    void dice_matchesPublishedFormula_ignoredPixelsCountAsFalsePositives() {
        double q = 1 / (1 + Math.exp(-10)); // softmax(5, -5)[0] on the ignored pixel
        double s = 1e-5;
        double score0 = (2 * 1.25 + s) / (2 * 1.25 + 0.75 + (0.25 + q) + s);
        double score1 = (2 * 0.75 + s) / (2 * 0.75 + 0.25 + (1.75 - q) + s);
        assertEquals(1 - (score0 + score1) / 2, value(new DiceLoss(2)), 1e-6);
    }

    private static float[] gradient(SegmentationLoss loss, boolean reuseFreedMemory) throws InterruptedException {
        NDArray x = logits();
        x.setRequiresGradient(true);
        try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            NDArray l = loss.compute(x, labels());
            if (reuseFreedMemory) {
                // Collect unreachable direct buffers and fill freed memory with NaNs before backward runs.
                System.gc();
                Thread.sleep(50);
                java.util.List<java.nio.ByteBuffer> junk = new java.util.ArrayList<>();
                for (int i = 0; i < 20000; i++) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4);
                    b.putFloat(0, Float.NaN);
                    junk.add(b);
                }
            }
            gc.backward(l);
        }
        return x.getGradient().toFloatArray();
    }

    @Test
    void lossesWithConstants_gradientsSurviveGarbageCollectionBeforeBackward() throws Exception {
        // With DJL's mul(Number) / pow(Number) these gradients came out NaN: the scalar's buffer was freed. The
        // rare-pixel losses multiply by constants and, Lovasz, by weights made in Java.
        for (SegmentationLoss loss : new SegmentationLoss[] {new FocalLoss(2, new float[] {1, 3}), new DiceLoss(2),
            new PresentClassDiceLoss(2), new TopKCrossEntropyLoss(2, null, 0.1), new LovaszSoftmaxLoss(2, false)}) {
            float[] expected = gradient(loss, false);
            float[] afterGc = gradient(loss, true);
            for (int i = 0; i < expected.length; i++) {
                assertTrue(Float.isFinite(expected[i]), loss + " gradient " + i);
                assertEquals(expected[i], afterGc[i], 0f, loss + " gradient element " + i);
            }
        }
    }

    @Test
    void parse_cePlusDice_isTheSum() {
        SegmentationLoss both = SegmentationLoss.parse("ce+dice", 2, null);
        assertEquals(value(new CrossEntropyLoss(2)) + value(new DiceLoss(2)), value(both), 1e-6);
        assertEquals("ce+dice", both.toString());
    }

    @Test
    void parse_unknownName_saysWhatIsKnown() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SegmentationLoss.parse("ce+tversky", 2, null));
        assertTrue(e.getMessage().contains("tversky") && e.getMessage().contains("known"), e.getMessage());
    }

    @Test
    void compute_wrongChannelCount_isExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CrossEntropyLoss(3).compute(logits(), labels()));
        assertTrue(e.getMessage().contains("3 classes"), e.getMessage());
    }
}
