package ai.peft4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.train.bench.NativeMemory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An optimiser step frees each parameter's temporaries before the next parameter's update: the native bytes in use
 * when the last of eight 4 MB parameters is updated are those of the first, not seven parameters' worth of Adam's
 * temporaries (about four 4 MB arrays each) more, as when one scope spanned the whole step.
 */
class OptimizerStepMemoryTest {
    private static final int PARAMETERS = 8;
    private static final long ELEMENTS = 1L << 20;

    @Test
    void adamStep_freesEachParametersTemporaries_beforeTheNext() {
        assumeTrue(NativeMemory.available(), "glibc's malloc counters are needed");
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, Parameter> params = new LinkedHashMap<>();
            for (int i = 0; i < PARAMETERS; i++) {
                Parameter p = new Parameter(manager.randomUniform(-1f, 1f, new Shape(ELEMENTS)));
                p.attachGradient();
                params.put("p" + i, p);
            }
            List<Long> inUse = new ArrayList<>();
            Adam adam = new Adam(params, 1e-3) {
                @Override
                protected void update(String name, NDArray weight, NDArray grad, double lr, long step) {
                    if (step == 2) {
                        inUse.add(NativeMemory.read().orElseThrow().inUse());
                    }
                    super.update(name, weight, grad, lr, step);
                }
            };
            for (int step = 0; step < 2; step++) {
                try (NDManager s = manager.newSubManager();
                        GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                    NDArray loss = null;
                    for (Parameter p : params.values()) {
                        NDArray term = p.data().mul(p.data()).sum();
                        loss = loss == null ? term : loss.add(term);
                    }
                    gc.backward(loss);
                }
                adam.step();
                adam.zeroGrad();
            }
            long oneParameter = ELEMENTS * 4;
            long growth = inUse.get(PARAMETERS - 1) - inUse.get(0);
            // Old behaviour: about 4 x 4 MB x 7 = 112 MB more by the last update.
            assertTrue(growth < oneParameter, "native bytes in use grew by " + growth / 1024 / 1024
                    + " MB across one Adam step's updates");
        }
    }
}
