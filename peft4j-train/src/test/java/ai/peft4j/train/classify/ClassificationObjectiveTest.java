package ai.peft4j.train.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.Batch;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Soft-target cross-entropy on hand-computed values, and top-1/top-5 counting. */
class ClassificationObjectiveTest {
    @Test
    void softTargetCrossEntropy_matchesHandComputedValues() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray logits = m.create(new float[] {0, 0, Float.valueOf((float) Math.log(2)), 1, 1, 1},
                    new Shape(2, 3));
            NDArray labels = m.create(new int[] {2, 0});
            // Row 0: softmax (1/4, 1/4, 1/2) -> -log(1/2); row 1: uniform -> -log(1/3).
            double expected = (Math.log(2) + Math.log(3)) / 2;
            NDArray hard = SoftTargetCrossEntropy.targets(labels, 3, 0);
            assertEquals(expected, SoftTargetCrossEntropy.loss(logits, hard).getFloat(), 1e-6);
            // Smoothing 0.3 over 3 classes: targets 0.8 on the class, 0.1 elsewhere.
            NDArray soft = SoftTargetCrossEntropy.targets(labels, 3, 0.3);
            assertArrayEquals(new float[] {0.1f, 0.1f, 0.8f, 0.8f, 0.1f, 0.1f}, soft.toFloatArray(), 1e-6f);
            double row0 = -(0.1 * Math.log(0.25) * 2 + 0.8 * Math.log(0.5));
            assertEquals((row0 + Math.log(3)) / 2, SoftTargetCrossEntropy.loss(logits, soft).getFloat(), 1e-6);
        }
    }

    @Test
    void objective_readsOneLabelPerImage() {
        try (NDManager m = EngineSetup.newManager()) {
            ClassificationObjective o = new ClassificationObjective(x -> x, 3, 0);
            Batch b = new Batch(List.of("a", "b"), new float[2 * 3 * 4], new int[] {2, 1}, 2, 2);
            NDArray y = o.labels(m, b);
            assertEquals(new Shape(2), y.getShape());
            assertArrayEquals(new int[] {2, 1}, y.toIntArray());
        }
    }

    @Test
    void scores_countTop1TopKAndPerClass() {
        ClassificationScores s = new ClassificationScores(6);
        assertEquals(5, s.k());
        s.add(new int[] {0, 1, 2, 2}, new float[][] {
            {9, 1, 1, 1, 1, 1},   // right
            {9, 8, 1, 1, 1, 1},   // wrong, second
            {9, 8, 7, 6, 5, 0.5f}, // wrong, third
            {9, 8, 0, 6, 5, 4}}); // wrong, sixth: outside the top 5
        assertEquals(0.25, s.top1());
        assertEquals(0.75, s.topK());
        assertArrayEquals(new double[] {1, 0, 0, 0, 0, 0}, s.perClass());
        assertEquals(2, s.matrix().count(2, 0));
    }

    @Test
    void mixup_blendsEachImageWithItsPartnerAndTheTargetsByTheSameLam() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray x = m.create(new float[] {0, 0, 0, 0, 1, 1, 1, 1}, new Shape(2, 1, 2, 2));
            NDArray t = SoftTargetCrossEntropy.targets(m.create(new int[] {0, 1}), 2, 0);
            double lam = BatchMixing.beta(0.8, new Random(5));
            NDArray[] out = new BatchMixing(0.8, 0).apply(x, t, new Random(5));
            // Image 0 takes (1 - lam) of image 1, which is all ones.
            assertEquals(1 - lam, out[0].get(0).toFloatArray()[0], 1e-6);
            assertArrayEquals(new float[] {(float) lam, (float) (1 - lam), (float) (1 - lam), (float) lam},
                    out[1].toFloatArray(), 1e-6f);
        }
    }

    @Test
    void cutmix_pastesABoxOfThePartner_andItsAreaIsTheTargetShare() {
        try (NDManager m = EngineSetup.newManager()) {
            float[] pixels = new float[2 * 16 * 16];
            java.util.Arrays.fill(pixels, 256, 512, 1f);
            NDArray x = m.create(pixels, new Shape(2, 1, 16, 16));
            NDArray t = SoftTargetCrossEntropy.targets(m.create(new int[] {0, 1}), 2, 0);
            for (int seed = 0; seed < 5; seed++) {
                NDArray[] out = new BatchMixing(0, 1).apply(x, t, new Random(seed));
                float[] first = out[0].get(0).toFloatArray();
                int pasted = 0;
                for (float v : first) {
                    assertTrue(v == 0f || v == 1f, "a pixel is the image's or its partner's");
                    pasted += v == 1f ? 1 : 0;
                }
                assertEquals(pasted / 256.0, out[1].toFloatArray()[1], 1e-6, "seed " + seed);
            }
        }
    }
}
