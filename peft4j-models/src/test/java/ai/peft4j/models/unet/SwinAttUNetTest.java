package ai.peft4j.models.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.Tensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SwinAttUNetTest {
    @TempDir
    Path tmp;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
        EngineSetup.seed(7);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** The totals of the published summary.py (and of fixtures/tplora/param_counts_full.json), 6 classes. */
    @Test
    void parameterCounts_matchPublishedTotals() {
        try (NDManager m = manager.newSubManager()) {
            assertEquals(45_775_884L, new SwinAttUNet(m, SwinAttUNetConfig.published("swin-t", 6)).parameterCount());
        }
        try (NDManager m = manager.newSubManager()) {
            assertEquals(67_093_788L, new SwinAttUNet(m, SwinAttUNetConfig.published("swin-s", 6)).parameterCount());
        }
        assertEquals(3_529_400L, new SwinAttUNet(manager, SwinAttUNetConfig.fixture(6)).parameterCount());
    }

    @Test
    void classifyBaseline_freezingAllButFinalConvLeaves390Trainable() {
        SwinAttUNet net = new SwinAttUNet(manager, SwinAttUNetConfig.published("swin-t", 6));
        net.freeze("*");
        net.unfreeze("final_conv.*");
        // 64 * 6 + 6: the 0.00039 M of the published "Classify" row.
        assertEquals(390L, net.trainableParameterCount());
        assertEquals(List.of("final_conv.weight", "final_conv.bias"), net.trainableParameterNames());
    }

    @Test
    void forward_givesLogitsAtInputResolution() {
        SwinAttUNet net = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(4));
        net.eval();
        NDArray out = net.forward(manager.randomUniform(0f, 1f, new Shape(1, 3, 112, 80)));
        assertEquals(new Shape(1, 4, 112, 80), out.getShape());
    }

    @Test
    void trainingMode_isStochasticAndEvalModeIsDeterministic() {
        SwinAttUNet net = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(3));
        NDArray x = manager.randomUniform(0f, 1f, new Shape(2, 3, 64, 64));
        net.eval();
        NDArray e1 = net.forward(x);
        NDArray e2 = net.forward(x);
        assertEquals(0.0, Tensors.maxAbsDiff(e1, e2), 0.0);
        net.train(true);
        // Batch statistics and drop path (0.1 at the last block) make training-mode outputs differ from eval's
        // and, through drop path, from each other.
        NDArray t1 = net.forward(x);
        NDArray t2 = net.forward(x);
        assertTrue(Tensors.maxAbsDiff(e1, t1) > 1e-3);
        assertTrue(Tensors.maxAbsDiff(t1, t2) > 1e-6, "drop path draws a new mask every pass");
    }

    @Test
    void checkpoint_savedAndLoadedThroughSafetensors_reproducesOutputExactly() throws Exception {
        SwinAttUNet a = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(6));
        a.train(true);
        a.forward(manager.randomUniform(0f, 1f, new Shape(2, 3, 64, 64)));
        a.eval();
        Path file = tmp.resolve("model.safetensors");
        SafetensorsFile.write(file, a.stateDict(), Map.of("model", "swin-att-unet"));

        SwinAttUNet b = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(6));
        b.eval();
        LoadReport r = b.loadStateDict(SafetensorsFile.read(file, manager).tensors(), true);
        assertEquals(354, r.loaded().size());
        NDArray x = manager.randomUniform(0f, 1f, new Shape(1, 3, 64, 64));
        assertEquals(0.0, Tensors.maxAbsDiff(a.forward(x), b.forward(x)), 0.0);
    }

    /** The published fine-tuning flow loads a base model trained for other classes: all but the head. */
    @Test
    void load_fromModelWithOtherClassCount_reportsOnlyTheHead() {
        SwinAttUNet source = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(4));
        SwinAttUNet target = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(6));
        LoadReport r = target.loadStateDict(source.stateDict(), false);
        assertEquals(List.of("final_conv.weight", "final_conv.bias"),
                r.mismatched().stream().map(LoadReport.Mismatch::key).toList());
        assertTrue(r.missing().isEmpty() && r.unexpected().isEmpty());
        assertEquals(352, r.loaded().size());
    }

    @Test
    void forward_rejectsSidesThatAreNotMultiplesOf16() {
        SwinAttUNet net = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(2));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> net.forward(manager.zeros(new Shape(1, 3, 100, 64))));
        assertTrue(ex.getMessage().contains("multiples of 16"), ex.getMessage());
    }
}
