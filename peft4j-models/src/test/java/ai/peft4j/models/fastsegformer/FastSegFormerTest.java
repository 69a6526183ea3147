package ai.peft4j.models.fastsegformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FastSegFormerTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
        EngineSetup.seed(11);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void withoutReconstructionBranch_logitsHaveTheInputSize() {
        FastSegFormer net = new FastSegFormer(manager, FastSegFormerConfig.p(3).withReconstructionBranch(false));
        net.eval();
        NDArray out = net.forward(manager.randomUniform(0f, 1f, new Shape(2, 3, 128, 96)));
        assertEquals(new Shape(2, 3, 128, 96), out.getShape());
        assertEquals(7, net.forkFeatures(manager.zeros(new Shape(1, 3, 64, 64))).size());
    }

    @Test
    void withReconstructionBranch_logitsAre224SquareAsPublished() {
        FastSegFormer net = new FastSegFormer(manager, FastSegFormerConfig.p(4));
        net.eval();
        List<NDArray> fork = net.forkFeatures(manager.randomUniform(0f, 1f, new Shape(1, 3, 256, 256)));
        assertEquals(8, fork.size());
        assertEquals(new Shape(1, 32, 112, 112), fork.get(6).getShape());
        assertEquals(new Shape(1, 4, 224, 224), fork.get(7).getShape());
    }

    @Test
    void publishedTotals_forFourClasses() {
        // The totals of the published models (fixtures/fastsegformer/fastsegformer.json).
        assertEquals(14_891_940L, new FastSegFormer(manager, FastSegFormerConfig.p(4)).parameterCount());
        assertEquals(5_013_044L, new FastSegFormer(manager, FastSegFormerConfig.e(4)).parameterCount());
        assertEquals(13_547_460L, new FastSegFormer(manager, FastSegFormerConfig.p(4)
                .withPyramid(FastSegFormerConfig.Pyramid.POOLING).withReconstructionBranch(false)).parameterCount());
    }

    @Test
    void freezeBackbone_leavesOnlyTheHeadTrainable() {
        FastSegFormer net = new FastSegFormer(manager, FastSegFormerConfig.e(4));
        net.freezeBackbone();
        assertEquals(5_013_044L - 3_246_608L, net.trainableParameterCount());
        assertTrue(net.trainableParameterNames().stream().noneMatch(n -> n.startsWith("common_backbone.")));
        net.unfreezeBackbone();
        assertEquals(net.parameterCount(), net.trainableParameterCount());
    }

    @Test
    void trainingMode_usesBatchStatisticsAndEvalModeIsDeterministic() {
        FastSegFormer net = new FastSegFormer(manager, FastSegFormerConfig.e(2));
        NDArray x = manager.randomUniform(0f, 1f, new Shape(2, 3, 224, 224));
        net.eval();
        NDArray e1 = net.forward(x);
        assertEquals(0.0, Tensors.maxAbsDiff(e1, net.forward(x)), 0.0);
        net.train(true);
        assertTrue(Tensors.maxAbsDiff(e1, net.forward(x)) > 1e-4);
    }

    @Test
    void backward_reachesEveryParameterTheLogitsDependOn() {
        // E covers attention biases and layer scales, P with PPM the adaptive pooling and aligned resizes. As in
        // the published model, the norms of the 1/4 and 1/16 backbone maps only feed the fork maps.
        for (FastSegFormerConfig config : List.of(FastSegFormerConfig.e(3), FastSegFormerConfig.p(3)
                .withPyramid(FastSegFormerConfig.Pyramid.POOLING).withReconstructionBranch(false))) {
            try (NDManager m = manager.newSubManager()) {
                FastSegFormer net = new FastSegFormer(m, config);
                net.train(true);
                net.namedParameters().values().forEach(Parameter::attachGradient);
                NDArray x = m.randomUniform(0f, 1f, new Shape(2, 3, 224, 224));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(net.forward(x).square().mean());
                }
                List<String> without = new ArrayList<>();
                net.namedParameters().forEach((name, p) -> {
                    NDArray g = p.gradient();
                    if (g == null || g.abs().sum().getFloat() == 0f) {
                        without.add(name);
                    }
                });
                assertEquals(List.of("common_backbone.norm0.weight", "common_backbone.norm0.bias",
                        "common_backbone.norm4.weight", "common_backbone.norm4.bias"), without,
                        config.describe() + ": parameters without gradient");
            }
        }
    }

    @Test
    void forward_rejectsSidesThatAreNotMultiplesOf32() {
        FastSegFormer net = new FastSegFormer(manager, FastSegFormerConfig.p(2).withReconstructionBranch(false));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> net.forward(manager.zeros(new Shape(1, 3, 100, 100))));
        assertTrue(ex.getMessage().contains("multiples of 32"), ex.getMessage());
    }

    @Test
    void teacher_forwardGivesLogitsAtInputSizeAndRejectsOddSides() {
        TeacherSwinAttUNet net = new TeacherSwinAttUNet(manager, TeacherSwinAttUNetConfig.published(4));
        net.eval();
        assertEquals(new Shape(1, 4, 64, 96), net.forward(manager.randomUniform(0f, 1f, new Shape(1, 3, 64, 96)))
                .getShape());
        assertThrows(IllegalArgumentException.class, () -> net.forward(manager.zeros(new Shape(1, 3, 80, 64))));
    }
}
