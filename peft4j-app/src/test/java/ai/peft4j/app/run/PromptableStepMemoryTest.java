package ai.peft4j.app.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.models.ModelSpec;
import ai.peft4j.models.sam.PromptableSegmenter;
import ai.peft4j.train.promptable.PromptMode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A promptable step that frees each child's intermediates gives the gradients of a plain step, also when the Java
 * buffers of arrays made inside a child (resize weights, relative-position and attention-bias selections) are
 * collected and their memory reused before backward. The loss is the BCE plus Dice.
 */
class PromptableStepMemoryTest {
    @Test
    void freeingIntermediates_leavesEveryGradientAsThePlainStepGivesIt() {
        for (String name : new String[] {"sam-fixture", "mobile-sam-fixture", "efficient-sam-fixture"}) {
            Map<String, float[]> plain = gradients(name, StepMemory.Options.PLAIN);
            Map<String, float[]> freed = gradients(name, StepMemory.Options.DEFAULT);
            assertEquals(plain.keySet(), freed.keySet());
            plain.forEach((k, g) -> assertArrayEquals(g, freed.get(k), 1e-6f, name + " " + k));
        }
    }

    private static Map<String, float[]> gradients(String name, StepMemory.Options options) {
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(0);
            PromptableSegmenter net = ModelSpec.of(name, null, 2).buildPromptable(m, 64);
            Module mod = (Module) net;
            mod.namedParameters().forEach((k, p) -> p.data().setRequiresGradient(true));
            NDArray x = m.randomUniform(0, 1, new Shape(2, 3, 64, 64));
            int[] lab = new int[2 * 64 * 64];
            for (int i = 600; i < 1400; i++) {
                lab[i] = 1;
            }
            NDArray y = m.create(lab, new Shape(2, 64, 64));
            PromptableObjective o = new PromptableObjective(net, PromptMode.BOX, 2, true, 0);
            try (StepMemory memory = StepMemory.open(mod, options);
                    GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                NDArray l = o.loss(x, y);
                reuseFreedMemory();
                memory.backward(l);
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            mod.namedParameters().forEach((k, p) -> out.put(k, p.data().getGradient().toFloatArray()));
            return out;
        }
    }

    /** Lets the collector free unreachable direct buffers, then fills fresh ones with junk. */
    private static void reuseFreedMemory() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            List<ByteBuffer> junk = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
                while (b.remaining() >= 4) {
                    b.putFloat(1e30f);
                }
                junk.add(b);
            }
        }
    }
}
