package ai.peft4j.infer.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Module;
import ai.peft4j.models.ModelSpec;
import ai.peft4j.models.fastsegformer.FastSegFormer;
import ai.peft4j.models.fastsegformer.FastSegFormerConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxExportParityTest {
    private NDManager manager;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Exports with closed-form weights, runs on ONNX Runtime and returns max |ORT - DJL| over the logits. */
    private float exportAndCompare(Module net, NDArray images, Path file) throws Exception {
        return exportAndCompare(net, images, file, 224);
    }

    private float exportAndCompare(Module net, NDArray images, Path file, int side) throws Exception {
        ClosedFormWeights.fill(net);
        net.eval();
        NDArray expected = ((ai.peft4j.core.nn.Layer) net).forward(images);
        OnnxGraph g = OnnxExporter.builder().setModel(net).setInputSize(side, side).build().export(file);
        assertFalse(g.opCounts().containsKey("BatchNormalization") && g.opCounts().get("BatchNormalization") > 4,
                "BatchNorm after convolutions is folded: " + g.opCounts());
        try (OnnxPredictor p = OnnxPredictor.builder().setModel(file).optThreads(2).build()) {
            NDArray actual = p.predict(images);
            assertEquals(expected.getShape(), actual.getShape());
            return actual.sub(expected).abs().max().getFloat();
        }
    }

    @Test
    void fastSegFormerE_onnxRuntimeMatchesDjlForward() throws Exception {
        Module net = ModelSpec.of("fastsegformer-e", null, 4).build(manager);
        NDArray images = ClosedFormWeights.sinusoid(manager, new Shape(2, 3, 224, 224), 0.013).add(1f).div(2f);
        float diff = exportAndCompare(net, images, dir.resolve("e.onnx"));
        assertTrue(diff < 1e-4f, "max abs difference " + diff);
    }

    @Test
    void fastSegFormerP_onnxRuntimeMatchesDjlForward() throws Exception {
        Module net = ModelSpec.of("fastsegformer-p", null, 4).build(manager);
        NDArray images = ClosedFormWeights.sinusoid(manager, new Shape(1, 3, 224, 224), 0.011).add(1f).div(2f);
        float diff = exportAndCompare(net, images, dir.resolve("p.onnx"));
        assertTrue(diff < 1e-4f, "max abs difference " + diff);
    }

    @Test
    void pyramidPoolingWithoutBranch_onnxRuntimeMatchesDjlForward() throws Exception {
        Module net = new FastSegFormer(manager, FastSegFormerConfig.p(3)
                .withPyramid(FastSegFormerConfig.Pyramid.POOLING).withReconstructionBranch(false));
        NDArray images = ClosedFormWeights.sinusoid(manager, new Shape(1, 3, 224, 224), 0.017);
        float diff = exportAndCompare(net, images, dir.resolve("ppm.onnx"));
        assertTrue(diff < 1e-4f, "max abs difference " + diff);
    }

    @Test
    void swinAttUNet_onnxRuntimeMatchesDjlForward_withPaddedShiftedWindows() throws Exception {
        // At 96x96 the stage grids 24, 12 and 6 are padded to whole 7x7 windows before the shift.
        Module net = ModelSpec.of("swin-att-unet", "swin-fixture", 6).build(manager);
        NDArray images = ClosedFormWeights.sinusoid(manager, new Shape(2, 3, 96, 96), 0.019).add(1f).div(2f);
        float diff = exportAndCompare(net, images, dir.resolve("unet.onnx"), 96);
        assertTrue(diff < 1e-4f, "max abs difference " + diff);
    }

    @Test
    void fastSegFormerTeacher_onnxRuntimeMatchesDjlForward() throws Exception {
        // Swin-T at 96x96: stage grids 24, 12, 6 and 3, each padded to whole windows; stage 4 layer-normalised.
        Module net = ModelSpec.of("fastsegformer-teacher", null, 4).build(manager);
        NDArray images = ClosedFormWeights.sinusoid(manager, new Shape(1, 3, 96, 96), 0.023).add(1f).div(2f);
        float diff = exportAndCompare(net, images, dir.resolve("teacher.onnx"), 96);
        assertTrue(diff < 1e-4f, "max abs difference " + diff);
    }

    @Test
    void export_refusesModulesWithHooks() {
        Module net = ModelSpec.of("swin-att-unet", "swin-fixture", 6).build(manager);
        net.module("final_conv").addForwardHook((m, in, out) -> out);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.builder().setModel(net).setInputSize(64, 64).build().graph());
        assertTrue(ex.getMessage().contains("final_conv") && ex.getMessage().contains("hooks"), ex.getMessage());
    }

    @Test
    void export_refusesSizesTheModelCannotTake() {
        Module p = ModelSpec.of("fastsegformer-p", null, 4).build(manager);
        IllegalArgumentException notMultiple = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.builder().setModel(p).setInputSize(200, 224).build().graph());
        assertTrue(notMultiple.getMessage().contains("multiples of 32"), notMultiple.getMessage());
        Module e = ModelSpec.of("fastsegformer-e", null, 4).build(manager);
        IllegalArgumentException fixed = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.builder().setModel(e).setInputSize(256, 256).build().graph());
        assertTrue(fixed.getMessage().contains("224x224"), fixed.getMessage());
    }

    @Test
    void predictor_refusesFilesWithOtherNamesAndImagesOfAnotherSize() throws Exception {
        OnnxGraph g = new OnnxGraph("identity");
        g.addInput(new ValueInfo("x", ElementType.FLOAT, new long[] {1, 3, 8, 8}));
        g.addNode(new OnnxNode("Identity", "id", java.util.List.of("x"), java.util.List.of("y"), java.util.Map.of()));
        g.addOutput(new ValueInfo("y", ElementType.FLOAT, new long[] {1, 3, 8, 8}));
        Path wrong = dir.resolve("wrong.onnx");
        OnnxWriter.write(g, wrong);
        IllegalArgumentException names = assertThrows(IllegalArgumentException.class,
                () -> OnnxPredictor.builder().setModel(wrong).build());
        assertTrue(names.getMessage().contains("'images'") && names.getMessage().contains("wrong.onnx"),
                names.getMessage());

        OnnxGraph fixed = new OnnxGraph("fixed");
        fixed.addInput(new ValueInfo("images", ElementType.FLOAT, new long[] {1, 3, 8, 8}));
        fixed.addNode(new OnnxNode("Identity", "id", java.util.List.of("images"), java.util.List.of("output"),
                java.util.Map.of()));
        fixed.addOutput(new ValueInfo("output", ElementType.FLOAT, new long[] {1, 3, 8, 8}));
        Path small = dir.resolve("fixed.onnx");
        OnnxWriter.write(fixed, small);
        try (OnnxPredictor p = OnnxPredictor.builder().setModel(small).build()) {
            assertArrayEquals(new long[] {1, 3, 8, 8}, p.inputDims());
            float[] pixels = new float[3 * 8 * 8];
            pixels[5] = 2.5f;
            assertEquals(2.5f, p.predict(pixels, 1, 8, 8).data()[5]);
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> p.predict(new float[3 * 16 * 16], 1, 16, 16));
            assertTrue(size.getMessage().contains("[1, 3, 8, 8]"), size.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> OnnxPredictor.builder().setModel(dir.resolve("absent.onnx")).build());
    }
}
