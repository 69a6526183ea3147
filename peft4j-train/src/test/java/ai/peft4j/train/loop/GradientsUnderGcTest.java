package ai.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.nn.UpsampleBilinear;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.train.loss.SegmentationLoss;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A training step's gradients do not depend on when the JVM collects garbage: every array that enters the graph
 * from a Java buffer (the batch, the labels, class weights, sampling matrices) must stay valid until backward has
 * run. The small Swin-Att-UNet on a 32 x 32 batch, its logits sampled up bilinearly to 64 x 64, with the class-weighted CE + Dice loss, under the step memory
 * plan that frees intermediates: gradients with a full collection and fresh garbage between forward and backward
 * equal, bit for bit, those of the same step without.
 */
class GradientsUnderGcTest {
    @Test
    void swinAttUNetStep_gcBetweenForwardAndBackward_gradientsIdentical() {
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(3);
            // The segmenter's logits of a 32 x 32 batch sampled up to the 64 x 64 labels through bilinear matrices
            // (built from a Java array), each child run through the step's memory plan.
            Sequential model = new Sequential(new SwinAttUNet(manager, SwinAttUNetConfig.fixture(3)),
                    new UpsampleBilinear(2, true));
            model.train(true);
            for (Parameter p : model.namedParameters().values()) {
                p.attachGradient();
            }
            SegmentationLoss loss = SegmentationLoss.parse("ce+dice", 3, new float[] {1f, 4f, 4f});
            Map<String, float[]> quiet = step(manager, model, loss, false);
            Map<String, float[]> pressed = step(manager, model, loss, true);
            assertEquals(quiet.keySet(), pressed.keySet());
            int nonZero = 0;
            for (Map.Entry<String, float[]> e : quiet.entrySet()) {
                assertArrayEquals(e.getValue(), pressed.get(e.getKey()), 0f, e.getKey());
                for (float v : e.getValue()) {
                    assertTrue(Float.isFinite(v), e.getKey());
                    nonZero += v != 0 ? 1 : 0;
                }
            }
            assertTrue(nonZero > 1000, "only " + nonZero + " non-zero gradient entries");
        }
    }

    private static Map<String, float[]> step(NDManager manager, Sequential model, SegmentationLoss loss,
            boolean pressure) {
        SplittableRandom random = new SplittableRandom(5);
        int n = 2;
        int side = 64;
        float[] images = new float[n * 3 * (side / 2) * (side / 2)];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextDouble();
        }
        int[] labels = new int[n * side * side];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (i / side) % side < 20 ? 1 + (i % 2) : 0;
        }
        EngineSetup.seed(11);
        try (NDManager m = manager.newSubManager();
                StepMemory memory = StepMemory.open(model, StepMemory.Options.DEFAULT);
                GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            NDArray x = m.create(images, new Shape(n, 3, side / 2, side / 2));
            NDArray y = m.create(labels, new Shape(n, side, side));
            NDArray l = loss.compute(model.forward(x), y);
            if (pressure) {
                List<float[]> garbage = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    System.gc();
                    for (int i = 0; i < 64; i++) {
                        float[] g = new float[1 << 16];
                        java.util.Arrays.fill(g, 1e30f);
                        garbage.add(g);
                    }
                    // Direct buffers of the same sizes as the freed ones are what would reuse their memory.
                    for (int i = 0; i < 64; i++) {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4 * 3 * side * side * n);
                        while (b.hasRemaining()) {
                            b.put((byte) 0x7f);
                        }
                    }
                    garbage.clear();
                }
                System.gc();
            }
            memory.backward(l);
        }
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            NDArray g = e.getValue().gradient();
            grads.put(e.getKey(), g.toFloatArray());
            g.subi(g);
        }
        return grads;
    }
}
