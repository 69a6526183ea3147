package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.infer.onnx.OnnxPredictor;
import ai.peft4j.models.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
    @TempDir
    Path dir;

    @Test
    void export_int8FromACheckpoint_writesAFileOnnxRuntimeRuns() throws Exception {
        Path images = SharedFiles.require("data/neu-seg/JPEGImages");
        Path weights = dir.resolve("e.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            Module net = ModelSpec.of("fastsegformer-e", null, 3).build(m);
            ClosedFormWeights.fill(net);
            SafetensorsFile.write(weights, net.stateDict(), Map.of());
        }
        Path onnx = dir.resolve("out/e-int8.onnx");
        CliRun r = CliRun.of("export", "--model", "fastsegformer-e", "--checkpoint", weights.toString(), "--onnx",
                onnx.toString(), "--int8", "--calib", images.toString(), "--calib-count", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 classes") && r.out().contains("Quantised int8"), r.out());
        try (OnnxPredictor p = OnnxPredictor.builder().setModel(onnx).build()) {
            assertArrayEquals(new long[] {-1, 3, 224, 224}, p.inputDims());
            long[] shape = p.predict(new float[3 * 224 * 224], 1, 224, 224).shape();
            assertArrayEquals(new long[] {1, 3, 224, 224}, shape);
        }
    }

    @Test
    void export_int8WithoutCalibrationImages_isAClearError() {
        Path onnx = dir.resolve("x.onnx");
        CliRun r = CliRun.of("export", "--model", "fastsegformer-p", "--onnx", onnx.toString(), "--int8");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--int8 needs --calib"), r.err());
        assertTrue(!Files.exists(onnx));
    }

    @Test
    void export_swinAttUNet_writesAFloatFileWithAnOpenBatch() throws Exception {
        Path onnx = dir.resolve("unet.onnx");
        CliRun r = CliRun.of("export", "--model", "swin-att-unet", "--backbone", "swin-fixture", "--classes", "3",
                "--input-size", "64", "--onnx", onnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("max |difference|"), r.out());
        try (OnnxPredictor p = OnnxPredictor.builder().setModel(onnx).build()) {
            assertArrayEquals(new long[] {2, 3, 64, 64}, p.predict(new float[2 * 3 * 64 * 64], 2, 64, 64).shape());
        }
    }

    @Test
    void export_unknownModel_isAClearError() {
        CliRun swin = CliRun.of("export", "--model", "vit", "--onnx", dir.resolve("v.onnx").toString());
        assertEquals(2, swin.code());
        assertTrue(swin.err().contains("cannot be exported"), swin.err());
    }
}
