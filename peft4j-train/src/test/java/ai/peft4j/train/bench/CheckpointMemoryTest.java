package ai.peft4j.train.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.nn.StepMemory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A checkpointed module's output, a leaf that collects the gradient arriving from downstream, is freed with that
 * gradient once the module has been recomputed: after backward through eight checkpointed 512 x 512 layers on a
 * batch of 2048 (4 MB per activation), the native bytes in use are not the eight outputs and their eight gradients
 * (64 MB) above what they were before the forward, as when both lived until the step's end.
 */
class CheckpointMemoryTest {
    private static final int LAYERS = 8;

    @Test
    void checkpointedOutputs_andTheirGradients_freedDuringBackward() {
        assumeTrue(NativeMemory.available(), "glibc's malloc counters are needed");
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(1);
            Module[] layers = new Module[LAYERS];
            for (int i = 0; i < LAYERS; i++) {
                layers[i] = new Linear(manager, 512, 512, true);
            }
            Sequential model = new Sequential(layers);
            model.train(true);
            for (Parameter p : model.namedParameters().values()) {
                p.attachGradient();
            }
            StepMemory.Options options = StepMemory.Options.DEFAULT.withCheckpoint(List.of("*"));
            long[] growth = new long[2];
            for (int step = 0; step < 2; step++) {
                try (NDManager s = manager.newSubManager()) {
                    NDArray x = s.randomUniform(-1f, 1f, new Shape(2048, 512));
                    long before = NativeMemory.read().orElseThrow().inUse();
                    try (StepMemory memory = StepMemory.open(model, options);
                            GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                        memory.backward(model.forward(x).sum());
                        assertEquals(0, memory.checkpointed());
                        growth[step] = NativeMemory.read().orElseThrow().inUse() - before;
                    }
                }
                for (Parameter p : model.namedParameters().values()) {
                    ai.peft4j.train.optim.Gradients.zero(p);
                }
            }
            long activation = 2048L * 512 * 4;
            // The second step, with the weights' gradients already allocated by the first.
            assertTrue(growth[1] < 4 * activation, "native bytes in use grew by " + growth[1] / 1024 / 1024
                    + " MB over the step's forward and backward");
        }
    }
}
