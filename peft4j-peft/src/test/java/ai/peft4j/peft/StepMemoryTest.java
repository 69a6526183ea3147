package ai.peft4j.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.models.swin.SwinConfig;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.lora.Lora;
import ai.peft4j.peft.lora.LoraConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A training step of the fixture-sized Swin-Att-UNet under {@link StepMemory}: the same gradients as the plain step
 * (bit for bit where nothing is recomputed), and fewer bytes held by the step once the forward is done.
 */
class StepMemoryTest {
    private static final StepMemory.Options FROZEN_ONLY = new StepMemory.Options(true, false, List.of());
    private static final StepMemory.Options FREE_ONLY = new StepMemory.Options(false, true, List.of());
    private static final StepMemory.Options CHECKPOINT_BLOCKS = StepMemory.Options.DEFAULT
            .withCheckpoint(List.of("*.blocks.*"));

    /** Trainable gradients and the bytes the step held after its forward. */
    private record Step(Map<String, float[]> gradients, long heldBytes, int checkpointed) {}

    @Test
    void headOnly_skipsFrozenPrefix_withIdenticalGradients_andHoldsLess() {
        Consumer<SwinAttUNet> headOnly = m -> {
            m.freeze("*");
            m.unfreeze("final_conv.*");
        };
        Step plain = step(StepMemory.Options.PLAIN, headOnly, 0.1f);
        Step frozen = step(FROZEN_ONLY, headOnly, 0.1f);
        assertEquals(List.of("final_conv.weight", "final_conv.bias"), List.copyOf(plain.gradients().keySet()));
        assertSameGradients(plain, frozen);
        assertTrue(frozen.heldBytes() < plain.heldBytes() / 4, frozen.heldBytes() + " vs " + plain.heldBytes());
    }

    @Test
    void loraInLateStages_skipsEarlierStages_withIdenticalGradients_andHoldsLess() {
        Consumer<SwinAttUNet> lateLora = m -> new Lora(LoraConfig.of(4, 8, "qkv").withTargets(TargetModules.matching(
                "swin_backbone\\.layers\\.[23]\\.blocks\\.\\d+\\.attn\\.qkv"))).apply(m);
        Step plain = step(StepMemory.Options.PLAIN, lateLora, 0.1f);
        Step frozen = step(FROZEN_ONLY, lateLora, 0.1f);
        assertEquals(8, plain.gradients().size()); // A and B in 2 blocks of layers.2 and layers.3 (unread)
        assertSameGradients(plain, frozen);
        assertTrue(frozen.heldBytes() < plain.heldBytes(), frozen.heldBytes() + " vs " + plain.heldBytes());
    }

    @Test
    void freeingIntermediates_keepsGradientsBitIdentical_andHoldsLess() {
        Consumer<SwinAttUNet> full = m -> { };
        Step plain = step(StepMemory.Options.PLAIN, full, 0.1f);
        Step freed = step(FREE_ONLY, full, 0.1f);
        assertSameGradients(plain, freed);
        assertTrue(freed.heldBytes() < plain.heldBytes() / 2, freed.heldBytes() + " vs " + plain.heldBytes());
    }

    @Test
    void checkpointedBlocks_giveThePlainGradients_withinFloatTolerance() {
        // Without drop path both steps draw nothing at random, so the recomputed blocks see the same numbers.
        Consumer<SwinAttUNet> full = m -> { };
        Step plain = step(StepMemory.Options.PLAIN, full, 0f);
        Step checkpointed = step(CHECKPOINT_BLOCKS, full, 0f);
        assertEquals(6, checkpointed.checkpointed()); // the 2 blocks of each of the 3 stages the decoder reads
        assertClose(plain, checkpointed);
        assertTrue(checkpointed.heldBytes() < plain.heldBytes() / 2);
    }

    @Test
    void checkpointedBlocks_withLoraInLateStages_giveThePlainGradients() {
        Consumer<SwinAttUNet> lateLora = m -> new Lora(LoraConfig.of(4, 8, "qkv").withTargets(TargetModules.matching(
                "swin_backbone\\.layers\\.[23]\\.blocks\\.\\d+\\.attn\\.qkv"))).apply(m);
        Step plain = step(StepMemory.Options.PLAIN, lateLora, 0f);
        Step checkpointed = step(CHECKPOINT_BLOCKS, lateLora, 0f);
        // The frozen stages run without a graph, so only the 2 blocks of layers.2 are checkpointed (layers.3 feeds
        // nothing).
        assertEquals(2, checkpointed.checkpointed());
        for (String k : plain.gradients().keySet()) {
            float[] a = plain.gradients().get(k);
            float[] b = checkpointed.gradients().get(k);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5 * Math.max(Math.abs(a[i]), 1e-2), k + "[" + i + "]");
            }
        }
    }

    @Test
    void checkpointedDecoder_withLora_giveThePlainGradients() {
        // The attention gates' skip branches read the frozen stem, which ran without a graph: recomputing such a
        // frozen child gives an output without one, and backward must pass it by instead of failing.
        Consumer<SwinAttUNet> lora = m -> new Lora(LoraConfig.of(4, 8, "qkv").withTargets(TargetModules.matching(
                "swin_backbone\\.layers\\.\\d+\\.blocks\\.\\d+\\.attn\\.qkv"))).apply(m);
        Step plain = step(StepMemory.Options.PLAIN, lora, 0f);
        Step checkpointed = step(StepMemory.Options.DEFAULT.withCheckpoint(List.of("cnn*", "up*", "Att*",
                "convert*", "conv*")), lora, 0f);
        assertTrue(checkpointed.checkpointed() > 0);
        assertEquals(plain.gradients().keySet(), checkpointed.gradients().keySet());
        for (String k : plain.gradients().keySet()) {
            float[] a = plain.gradients().get(k);
            float[] b = checkpointed.gradients().get(k);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5 * Math.max(Math.abs(a[i]), 1e-2), k + "[" + i + "]");
            }
        }
    }

    @Test
    void checkpointedDecoderLevels_giveThePlainGradients_andHoldLessThanTheirModulesCheckpointedOneByOne() {
        Consumer<SwinAttUNet> full = m -> { };
        Step plain = step(StepMemory.Options.PLAIN, full, 0f);
        Step modules = step(StepMemory.Options.DEFAULT.withCheckpoint(List.of("up*", "Att*", "convert*", "conv*")),
                full, 0f);
        Step levels = step(StepMemory.Options.DEFAULT.withCheckpoint(List.of("level*")), full, 0f);
        assertEquals(4, levels.checkpointed()); // one unit per decoder level; nothing inside it on its own
        assertClose(plain, levels);
        // A level keeps its two inputs; checkpointed one by one, its modules keep their inputs: the upsampled map,
        // the gated skip, the concatenation.
        assertTrue(levels.heldBytes() < modules.heldBytes() * 0.8, levels.heldBytes() + " vs "
                + modules.heldBytes());
    }

    @Test
    void checkpointedDecoderLevels_withLoraInTheEncoderOnly_passTheGradientThroughTheFrozenLevels() {
        Consumer<SwinAttUNet> lora = m -> new Lora(LoraConfig.of(4, 8, "qkv").withTargets(TargetModules.matching(
                "swin_backbone\\.layers\\.\\d+\\.blocks\\.\\d+\\.attn\\.qkv"))).apply(m);
        Step plain = step(StepMemory.Options.PLAIN, lora, 0f);
        Step levels = step(StepMemory.Options.DEFAULT.withCheckpoint(List.of("level*", "*.blocks.*")), lora, 0f);
        // Levels 4-2 read the encoder, so they carry its gradient back; level 1 too, through level 2's output.
        assertEquals(4 + 6, levels.checkpointed());
        assertClose(plain, levels);
    }

    /**
     * Each gradient within 1e-5 of its tensor's largest magnitude (a recomputed forward may round differently),
     * except tensors whose gradient is rounding noise, under 1e-4 of the step's largest (a convolution's bias just
     * before a BatchNorm, which cancels it: its true gradient is 0), which must stay at that level.
     */
    private static void assertClose(Step expected, Step actual) {
        assertEquals(expected.gradients().keySet(), actual.gradients().keySet());
        double largest = 0;
        for (float[] g : expected.gradients().values()) {
            for (float v : g) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        for (String k : expected.gradients().keySet()) {
            float[] a = expected.gradients().get(k);
            float[] b = actual.gradients().get(k);
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            double tolerance = scale < 1e-4 * largest ? 2e-4 * largest : 1e-5 * scale;
            assertTrue(diff <= tolerance, k + ": max diff " + diff + " at scale " + scale + " (largest gradient "
                    + largest + ")");
        }
    }

    private static void assertSameGradients(Step expected, Step actual) {
        assertEquals(expected.gradients().keySet(), actual.gradients().keySet());
        expected.gradients().forEach((k, g) -> assertArrayEquals(g, actual.gradients().get(k), 0f, k));
    }

    /** One forward and backward of a freshly seeded model, batch 2 at 64x64, loss a fixed mix of the logits. */
    private static Step step(StepMemory.Options options, Consumer<SwinAttUNet> method, float dropPath) {
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(11);
            SwinConfig swin = SwinConfig.fixture();
            swin = new SwinConfig(swin.embedDim(), swin.depths(), swin.numHeads(), swin.windowSize(),
                    swin.patchSize(), swin.inChannels(), swin.mlpRatio(), swin.dropRate(), swin.attnDropRate(),
                    dropPath, swin.numClasses());
            SwinAttUNet model = new SwinAttUNet(manager, new SwinAttUNetConfig(swin, 3, 16));
            method.accept(model);
            model.train(true);
            Map<String, Parameter> trainable = new LinkedHashMap<>();
            model.namedParameters().forEach((k, p) -> {
                if (p.isTrainable()) {
                    p.attachGradient();
                    trainable.put(k, p);
                }
            });
            long held;
            int checkpointed;
            try (NDManager step = manager.newSubManager()) {
                NDArray x = step.randomUniform(0f, 1f, new Shape(2, 3, 64, 64));
                NDArray mix = step.randomNormal(new Shape(2, 3, 64, 64));
                try (StepMemory memory = StepMemory.open(model, options);
                        GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                    NDArray loss = model.forward(x).mul(mix).sum();
                    held = step.getManagedArrays().stream().mapToLong(a -> a.size() * 4).sum();
                    checkpointed = memory.checkpointed();
                    memory.backward(loss);
                }
            }
            Map<String, float[]> grads = new LinkedHashMap<>();
            trainable.forEach((k, p) -> grads.put(k, p.gradient().toFloatArray()));
            return new Step(grads, held, checkpointed);
        }
    }
}
