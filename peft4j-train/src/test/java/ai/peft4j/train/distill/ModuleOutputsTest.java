package ai.peft4j.train.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleOutputsTest {
    @Test
    void hooks_returnTheNamedModulesOutputs_asTheModelsOwnForkDoes() {
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(1);
            TinyNet net = new TinyNet(m, 4, 3);
            net.eval();
            NDArray x = m.randomUniform(0f, 1f, new Shape(2, 3, 8, 8));
            List<NDArray> fork = net.forkFeatures(x);
            List<NDArray> hooked;
            try (ModuleOutputs outputs = ModuleOutputs.of(net, "body.0", "body")) {
                hooked = outputs.features(x);
                assertTrue(net.module("body").hasForwardHooks());
            }
            assertFalse(net.module("body").hasForwardHooks(), "close removes the hooks");
            assertEquals(3, hooked.size());
            assertEquals(new Shape(2, 4, 8, 8), hooked.get(0).getShape(), "the convolution before batch norm");
            assertArrayEquals(fork.get(0).toFloatArray(), hooked.get(1).toFloatArray(), 0f);
            assertArrayEquals(fork.get(1).toFloatArray(), hooked.get(2).toFloatArray(), 0f);
        }
    }

    @Test
    void unknownModule_isNamed() {
        try (NDManager m = EngineSetup.newManager()) {
            TinyNet net = new TinyNet(m, 4, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModuleOutputs.of(net, "body", "neck"));
            assertTrue(e.getMessage().startsWith("no module 'neck' to take features from"), e.getMessage());
            assertFalse(net.module("body").hasForwardHooks(), "hooks already added are removed again");
        }
    }
}
