package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.Sample;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.infer.onnx.OnnxPredictor;
import ai.peft4j.models.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    void export_score_givesTheEngineMiouForTheFloatGraph_andTheInt8Change() throws Exception {
        Path voc = dir.resolve("voc");
        new SyntheticCitrus(CitrusDomain.ORANGE, 10, 64, 3).writeVoc(voc);
        Path weights = dir.resolve("p.safetensors");
        double engine;
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(3);
            Module net = ModelSpec.of("fastsegformer-p", null, 4).build(m);
            net.eval();
            SafetensorsFile.write(weights, net.stateDict(), Map.of());
            // The engine's own score of the same weights on the same letterboxed test images.
            VocDataset test = VocDataset.open(voc, "test", VocConfig.of("background", "sunburn", "ulcer",
                    "wind scarring"));
            ConfusionMatrix cm = new ConfusionMatrix(4);
            for (int i = 0; i < test.size(); i++) {
                Sample s = Letterbox.square(64).apply(test.read(i), new SplittableRandom(0)).toSample();
                NDArray logits = Resize.bilinear(((Layer) net).forward(m.create(s.image(), new Shape(1, 3, 64, 64))),
                        64, 64, true);
                cm.add(s.mask(), logits.argMax(1).toType(DataType.INT32, false).toIntArray());
            }
            engine = cm.scores().meanIou();
        }
        CliRun r = CliRun.of("export", "--model", "fastsegformer-p", "--checkpoint", weights.toString(),
                "--input-size", "64", "--onnx", dir.resolve("p-int8.onnx").toString(), "--int8", "--calib",
                voc.resolve("JPEGImages").toString(), "--calib-count", "4", "--score", voc.toString());
        assertEquals(0, r.code(), r.err());
        Matcher scored = Pattern.compile("Scored {4}test of \\S+: float mIoU ([0-9.]+)%, int8 ([0-9.]+)% "
                + "\\(([-+][0-9.]+) points\\)").matcher(r.out());
        assertTrue(scored.find(), r.out());
        assertEquals(100 * engine, Double.parseDouble(scored.group(1)), 0.006);
        double int8 = Double.parseDouble(scored.group(2));
        assertEquals(int8 - Double.parseDouble(scored.group(1)), Double.parseDouble(scored.group(3)), 0.011);
    }

    @Test
    void export_ontoTheCheckpointItReads_isRefusedAndTheWeightsAreUnchanged() throws Exception {
        Path weights = Files.write(dir.resolve("w.safetensors"), new byte[] {1, 2, 3});
        CliRun r = CliRun.of("export", "--model", "fastsegformer-p", "--checkpoint", weights.toString(), "--onnx",
                dir.resolve(".").resolve("w.safetensors").toString());
        assertEquals(2, r.code(), r.out());
        assertEquals("error: " + dir.resolve(".").resolve("w.safetensors") + ": this output would overwrite the "
                + "input " + weights + "; give --onnx a new file name", r.err().strip());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(weights));
    }

    @Test
    void export_int8WithoutCalibrationImages_isAClearError() {
        Path onnx = dir.resolve("x.onnx");
        CliRun r = CliRun.of("export", "--model", "fastsegformer-p", "--onnx", onnx.toString(), "--int8");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--int8 needs --calib"), r.err());
        assertTrue(!Files.exists(onnx));
        CliRun f = CliRun.of("export", "--model", "fastsegformer-p", "--onnx", onnx.toString(), "--int8-agreement",
                "99.5");
        assertEquals(2, f.code());
        assertTrue(f.err().contains("only used with --int8"), f.err());
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
