package ai.peft4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.core.tensor.Reductions;
import ai.peft4j.core.state.StateDictException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ModuleTest {
    private NDManager manager;

    /** conv(2->4, 3x3) + bn + relu, then a linear head over 4 channels, as a small named tree. */
    static final class Net extends Module implements Layer {
        Net(NDManager m) {
            registerModule("features", new Sequential(Conv2d.same(m, 2, 4, 3), new BatchNorm2d(m, 4),
                    Activation.relu()));
            registerModule("head", new Linear(m, 4, 3, true));
        }

        @Override
        public NDArray forward(NDArray x) {
            NDArray f = Reductions.mean(call("features", x), 2, 3);
            return call("head", f);
        }
    }

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** A table and an output layer over the same weight, as a language model ties its embeddings. */
    static final class Tied extends Module {
        Tied(NDManager m) {
            Linear table = registerModule("table", new Linear(m, 3, 5, false));
            registerModule("head", new Linear(table.weight(), null));
        }
    }

    @Test
    void tiedParameter_isListedOnceButKeptUnderEveryStateDictName() {
        Tied net = new Tied(manager);
        assertEquals(List.of("table.weight"), List.copyOf(net.namedParameters().keySet()));
        assertEquals(15, net.parameterCount());
        assertEquals(List.of("table.weight", "head.weight"), List.copyOf(net.stateDict().keySet()));
        Linear head = (Linear) net.child("head");
        assertEquals(3, head.inFeatures());
        assertEquals(5, head.outFeatures());
        NDArray w = manager.arange(15f).reshape(5, 3);
        LoadReport report = net.loadStateDict(Map.of("table.weight", w, "head.weight", w), true);
        assertEquals(List.of("table.weight", "head.weight"), report.loaded());
        assertArrayEquals(w.toFloatArray(), head.weight().data().toFloatArray());
        assertSame(((Linear) net.child("table")).weight(), head.weight());
    }

    @Test
    void stateDict_followsPyTorchNamingAndOrder() {
        Net net = new Net(manager);
        assertEquals(List.of("features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
                "head.weight", "head.bias"), List.copyOf(net.stateDict().keySet()));
        assertEquals(List.of("features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                "head.weight", "head.bias"), List.copyOf(net.namedParameters().keySet()));
        assertEquals(2 * 4 * 9 + 4 + 4 + 4 + 4 * 3 + 3, net.parameterCount());
    }

    @Test
    void freeze_byPattern_changesTrainableCount() {
        Net net = new Net(manager);
        assertEquals(net.parameterCount(), net.trainableParameterCount());
        assertEquals(4, net.freeze("features.*"));
        assertEquals(15, net.trainableParameterCount());
        assertEquals(List.of("head.weight", "head.bias"), net.trainableParameterNames());
        net.unfreeze("*.bias");
        assertEquals(15 + 4 + 4, net.trainableParameterCount());
    }

    @Test
    void replace_takesPartInNextForwardWithoutChangingTheParent() {
        Net net = new Net(manager);
        NDArray x = manager.randomNormal(new Shape(2, 2, 5, 5));
        net.eval();
        Module old = net.replace("head", new Linear(manager, 4, 7, false));
        assertTrue(old instanceof Linear);
        assertEquals(new Shape(2, 7), net.forward(x).getShape());
        assertFalse(net.module("head").isTraining());
        assertEquals(List.of("features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                "head.weight"), List.copyOf(net.namedParameters().keySet()));
    }

    @Test
    void heldInEval_staysInEvalThroughTrainAndKeepsItsStatisticsUntilReleased() {
        Net net = new Net(manager);
        Module bn = net.module("features.1");
        bn.holdEval(true);
        net.train(true);
        assertTrue(net.module("head").isTraining());
        assertFalse(bn.isTraining());
        NDArray mean = bn.buffer("running_mean").data().duplicate();
        net.forward(manager.randomNormal(2f, 1f, new Shape(2, 2, 5, 5), ai.djl.ndarray.types.DataType.FLOAT32));
        assertEquals(0.0, ai.peft4j.core.testing.Tensors.maxAbsDiff(mean, bn.buffer("running_mean").data()), 0.0);
        bn.holdEval(false);
        net.train(true);
        assertTrue(bn.isTraining());
        net.forward(manager.randomNormal(2f, 1f, new Shape(2, 2, 5, 5), ai.djl.ndarray.types.DataType.FLOAT32));
        assertTrue(ai.peft4j.core.testing.Tensors.maxAbsDiff(mean, bn.buffer("running_mean").data()) > 0);
    }

    @Test
    void forwardPreHook_replacesTheInputOfTheCalledLayerAndOutputHooksSeeIt() {
        Net net = new Net(manager);
        net.eval();
        // A pre-hook doubling the head's input gives head(2 * features), and the head's output hook sees 2 * features.
        Linear head = (Linear) net.module("head");
        NDArray[] seen = new NDArray[1];
        Module.HookHandle pre = head.addForwardPreHook((m, in) -> in.mul(2));
        head.addForwardHook((m, in, out) -> {
            seen[0] = (NDArray) in[0];
            return out;
        });
        NDArray x = manager.ones(new Shape(1, 2, 3, 3));
        NDArray features = Reductions.mean(((Layer) net.module("features")).forward(x), 2, 3);
        NDArray hooked = net.forward(x);
        assertArrayEquals(head.forward(features.mul(2)).toFloatArray(), hooked.toFloatArray(), 1e-6f);
        assertArrayEquals(features.mul(2).toFloatArray(), seen[0].toFloatArray(), 1e-6f);
        pre.remove();
        assertArrayEquals(head.forward(features).toFloatArray(), net.forward(x).toFloatArray(), 1e-6f);
    }

    @Test
    void addParameter_joinsNamesCountsAndStateDictUntilRemoved() {
        Net net = new Net(manager);
        long before = net.parameterCount();
        Parameter p = net.module("features").addParameter("prompt", new Parameter(manager.zeros(new Shape(2, 3))));
        assertTrue(net.namedParameters().containsKey("features.prompt"));
        assertTrue(net.stateDict().containsKey("features.prompt"));
        assertEquals(before + 6, net.parameterCount());
        assertThrows(IllegalArgumentException.class,
                () -> net.module("features").addParameter("prompt", new Parameter(manager.zeros(new Shape(1)))));
        assertSame(p, net.module("features").removeParameter("prompt"));
        assertEquals(before, net.parameterCount());
        assertFalse(net.stateDict().containsKey("features.prompt"));
    }

    @Test
    void trainAndEval_propagateToEveryModule() {
        Net net = new Net(manager);
        net.eval();
        net.namedModules().values().forEach(m -> assertFalse(m.isTraining()));
        net.train(true);
        net.namedModules().values().forEach(m -> assertTrue(m.isTraining()));
    }

    @Test
    void loadStateDict_roundTripReproducesOutput() {
        Net a = new Net(manager);
        Net b = new Net(manager);
        a.eval();
        b.eval();
        NDArray x = manager.randomNormal(new Shape(2, 2, 5, 5));
        LoadReport r = b.loadStateDict(a.stateDict(), true);
        assertTrue(r.isClean());
        assertEquals(9, r.loaded().size());
        assertEquals(0.0, a.forward(x).sub(b.forward(x)).abs().max().getFloat(), 0.0);
        // Parameters keep their identity; the values are copies.
        Parameter p = b.namedParameters().get("head.weight");
        assertNotSame(a.namedParameters().get("head.weight").data(), p.data());
    }

    @Test
    void loadStateDict_reportsMissingUnexpectedAndMismatchedKeys() {
        Net net = new Net(manager);
        Map<String, NDArray> sd = new java.util.LinkedHashMap<>(new Net(manager).stateDict());
        sd.remove("features.1.running_var");
        sd.put("head.weight", manager.zeros(new Shape(5, 4)));
        sd.put("classifier.weight", manager.zeros(new Shape(3)));
        NDArray before = net.namedParameters().get("head.weight").data().duplicate();

        StateDictException ex = assertThrows(StateDictException.class, () -> net.loadStateDict(sd, true));
        assertTrue(ex.getMessage().contains("features.1.running_var"), ex.getMessage());
        assertTrue(ex.getMessage().contains("classifier.weight"), ex.getMessage());
        assertTrue(ex.getMessage().contains("head.weight: model (3, 4), file (5, 4)"), ex.getMessage());
        assertEquals(0f, before.sub(net.namedParameters().get("head.weight").data()).abs().max().getFloat());

        LoadReport r = net.loadStateDict(sd, false);
        assertEquals(List.of("features.1.running_var"), r.missing());
        assertEquals(List.of("classifier.weight"), r.unexpected());
        assertEquals(1, r.mismatched().size());
        assertEquals(7, r.loaded().size());
    }

    @Test
    void module_findsAndRejectsPaths() {
        Net net = new Net(manager);
        assertSame(net.child("head"), net.module("head"));
        assertTrue(net.module("features.1") instanceof BatchNorm2d);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> net.module("features.9"));
        assertTrue(ex.getMessage().contains("no child '9'"), ex.getMessage());
    }
}
