package ai.peft4j.infer.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.ModelSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QdqQuantizerTest {
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

    private static float[] sinusoid(int n, double step, double phase) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (0.5 + 0.5 * Math.sin(step * i + phase));
        }
        return out;
    }

    @Test
    void quantisedGraph_hasInt8WeightsAndStaysCloseToFloat() throws Exception {
        // Conv-BN-ReLU (the ReLU folds into the output quantiser), a plain Conv, and a Linear over the width.
        Module net = new Sequential(new Conv2d(manager, 3, 8, 3, 1, 1, 1, false), new BatchNorm2d(manager, 8),
                Activation.relu(), new Conv2d(manager, 8, 4, 1, 1, 0, 1, true), new Linear(manager, 16, 16, true));
        ClosedFormWeights.fill(net);
        OnnxGraph fp32 = OnnxExporter.builder().setModel(net).setInputSize(16, 16).build().graph();
        List<float[]> calib = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            calib.add(sinusoid(3 * 16 * 16, 0.05 + 0.01 * k, k));
        }
        OnnxGraph int8 = QdqQuantizer.builder().setCalibration(calib, 16, 16).build().quantize(fp32);
        OnnxGraph clipped = QdqQuantizer.builder().setCalibration(calib, 16, 16).optPercentile(99.0).build()
                .quantize(fp32);
        assertTrue(scaleOf(clipped, "images") < scaleOf(int8, "images"),
                "percentile ranges are narrower than min/max");
        assertEquals(3, int8.initializers().values().stream().filter(i -> i.type() == ElementType.INT8
                && i.dims().length > 1).count(), "two conv weights and the linear weight are int8");
        assertEquals(null, int8.opCounts().get("Relu"), "the ReLU went into the quantiser: " + int8.opCounts());
        Path f32 = dir.resolve("f32.onnx");
        Path i8 = dir.resolve("i8.onnx");
        OnnxWriter.write(fp32, f32);
        OnnxWriter.write(int8, i8);
        float[] image = sinusoid(3 * 16 * 16, 0.055, 0.3);
        float[] a;
        float[] b;
        try (OnnxPredictor p = OnnxPredictor.builder().setModel(f32).build();
                OnnxPredictor q = OnnxPredictor.builder().setModel(i8).build()) {
            a = p.predict(image, 1, 16, 16).data();
            b = q.predict(image, 1, 16, 16).data();
        }
        double err = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            err += (a[i] - b[i]) * (a[i] - b[i]);
            norm += a[i] * a[i];
        }
        double relative = Math.sqrt(err / norm);
        assertTrue(relative < 0.05 && relative > 0, "relative L2 error of int8 " + relative);
    }

    /**
     * A channel whose weights are almost zero but whose bias is not (what BatchNorm folding leaves of a trained
     * network's switched-off channels) keeps its bias: at the usual weight scale its int32 bias would overflow.
     */
    @Test
    void nearZeroWeightsWithABias_keepTheBiasInInt8() throws Exception {
        Conv2d conv = new Conv2d(manager, 3, 2, 1, 1, 0, 1, true);
        conv.loadStateDict(java.util.Map.of(
                "weight", manager.create(new float[] {0.5f, -0.25f, 0.75f, 1e-12f, -1e-12f, 1e-12f},
                        new ai.djl.ndarray.types.Shape(2, 3, 1, 1)),
                "bias", manager.create(new float[] {0.1f, 0.5f})), true);
        OnnxGraph fp32 = OnnxExporter.builder().setModel(conv).setInputSize(8, 8).build().graph();
        List<float[]> calib = List.of(sinusoid(3 * 8 * 8, 0.07, 0), sinusoid(3 * 8 * 8, 0.11, 1));
        OnnxGraph int8 = QdqQuantizer.builder().setCalibration(calib, 8, 8).build().quantize(fp32);
        Path i8 = dir.resolve("bias.onnx");
        OnnxWriter.write(int8, i8);
        float[] out;
        try (OnnxPredictor q = OnnxPredictor.builder().setModel(i8).build()) {
            out = q.predict(sinusoid(3 * 8 * 8, 0.09, 0.5), 1, 8, 8).data();
        }
        // Channel 1 is its bias, 0.5, everywhere; the output quantiser's step is about 1.7 / 255.
        for (int i = 64; i < 128; i++) {
            assertEquals(0.5, out[i], 0.01, "pixel " + (i - 64) + " of the near-zero channel");
        }
    }

    @Test
    void onnxRuntime_fusesTheQdqConvolutionsIntoQLinearConv() throws Exception {
        Module net = ModelSpec.of("fastsegformer-p", null, 4).build(manager);
        ClosedFormWeights.fill(net);
        OnnxGraph fp32 = OnnxExporter.builder().setModel(net).setInputSize(224, 224).build().graph();
        OnnxGraph int8 = QdqQuantizer.builder().setCalibration(List.of(sinusoid(3 * 224 * 224, 0.01, 0)), 224, 224)
                .build().quantize(fp32);
        int convs = fp32.opCounts().get("Conv");
        long depthwise = fp32.nodes().stream().filter(QdqQuantizer.depthwise()).count();
        OnnxGraph dense = QdqQuantizer.builder().setCalibration(List.of(sinusoid(3 * 224 * 224, 0.01, 0)), 224, 224)
                .optExclude(QdqQuantizer.depthwise()).build().quantize(fp32);
        // Two inverted residuals, the fusion module, two head blocks and the reconstruction branch.
        assertEquals(6, depthwise);
        assertEquals(convs - depthwise, dense.initializers().values().stream()
                .filter(i -> i.type() == ElementType.INT8 && i.dims().length == 4).count());
        Path i8 = dir.resolve("p-int8.onnx");
        OnnxWriter.write(int8, i8);
        Path optimised = dir.resolve("p-int8-optimised.onnx");
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (ai.onnxruntime.OrtSession.SessionOptions o = new ai.onnxruntime.OrtSession.SessionOptions()) {
            o.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            o.setOptimizedModelFilePath(optimised.toString());
            env.createSession(i8.toString(), o).close();
        }
        // The optimised file names its operators as strings; count the fused convolutions.
        String text = new String(Files.readAllBytes(optimised), StandardCharsets.ISO_8859_1);
        int fused = text.split("QLinearConv", -1).length - 1;
        assertTrue(fused >= convs - 2, "ONNX Runtime fused " + fused + " of " + convs + " convolutions");
    }

    @Test
    void int8FastSegFormer_agreesWithFloatOnRealImages() throws Exception {
        Path voc = SharedFiles.require("data/neu-seg");
        List<String> ids = Files.readAllLines(voc.resolve("ImageSets/Segmentation/test.txt"));
        List<float[]> calib = new ArrayList<>();
        List<String> train = Files.readAllLines(voc.resolve("ImageSets/Segmentation/train.txt"));
        for (int i = 0; i < 8; i++) {
            calib.add(CalibrationImages.pixels(voc.resolve("JPEGImages/" + train.get(i * 97).trim() + ".jpg"),
                    224, 224));
        }
        for (String model : List.of("fastsegformer-e", "fastsegformer-p")) {
            Module net = ModelSpec.of(model, null, 4).build(manager);
            ClosedFormWeights.fill(net);
            OnnxGraph fp32 = OnnxExporter.builder().setModel(net).setInputSize(224, 224).build().graph();
            OnnxGraph int8 = QdqQuantizer.builder().setCalibration(calib, 224, 224).build().quantize(fp32);
            Path f32 = dir.resolve(model + ".onnx");
            Path i8 = dir.resolve(model + "-int8.onnx");
            OnnxWriter.write(fp32, f32);
            OnnxWriter.write(int8, i8);
            long agree = 0;
            long total = 0;
            int[] classes = new int[4];
            try (OnnxPredictor p = OnnxPredictor.builder().setModel(f32).optThreads(2).build();
                    OnnxPredictor q = OnnxPredictor.builder().setModel(i8).optThreads(2).build()) {
                for (int k = 0; k < 4; k++) {
                    float[] image = CalibrationImages.pixels(voc.resolve("JPEGImages/" + ids.get(k * 50).trim()
                            + ".jpg"), 224, 224);
                    int[] a = argmax(p.predict(image, 1, 224, 224).data(), 4, 224 * 224);
                    int[] b = argmax(q.predict(image, 1, 224, 224).data(), 4, 224 * 224);
                    for (int i = 0; i < a.length; i++) {
                        agree += a[i] == b[i] ? 1 : 0;
                        classes[a[i]]++;
                    }
                    total += a.length;
                }
            }
            double share = (double) agree / total;
            long dominant = java.util.Arrays.stream(classes).max().orElseThrow();
            String msg = String.format(Locale.ROOT, "%s: int8 argmax agrees on %.4f of pixels (float class counts "
                    + "%s)", model, share, java.util.Arrays.toString(classes));
            assertTrue(dominant < 0.95 * total, "the float model predicts more than one class: " + msg);
            assertTrue(share > 0.9, msg);
        }
    }

    @Test
    void agreementTarget_keepsTheWorstLayersInFloat_untilTheClassMapsAgree() {
        Conv2d first = new Conv2d(manager, 3, 8, 3, 1, 1, 1, true);
        Conv2d second = new Conv2d(manager, 8, 8, 3, 1, 1, 1, true);
        Conv2d last = new Conv2d(manager, 8, 4, 1, 1, 0, 1, true);
        Module net = new Sequential(first, Activation.relu(), second, Activation.relu(), last);
        ClosedFormWeights.fill(net);
        // The second convolution's channel 0 is made 200 times larger and the last one's input 0 as much smaller:
        // the float network is the same, but one channel now sets the quantiser's step for all eight.
        var w2 = second.stateDict();
        var w3 = last.stateDict();
        float[] weight2 = w2.get("weight").toFloatArray();
        float[] bias2 = w2.get("bias").toFloatArray();
        float[] weight3 = w3.get("weight").toFloatArray();
        for (int i = 0; i < 8 * 9; i++) {
            weight2[i] *= 200;
        }
        bias2[0] *= 200;
        for (int o = 0; o < 4; o++) {
            weight3[o * 8] /= 200;
        }
        second.loadStateDict(java.util.Map.of("weight", manager.create(weight2, w2.get("weight").getShape()),
                "bias", manager.create(bias2)), true);
        last.loadStateDict(java.util.Map.of("weight", manager.create(weight3, w3.get("weight").getShape()),
                "bias", w3.get("bias")), true);
        OnnxGraph fp32 = OnnxExporter.builder().setModel(net).setInputSize(16, 16).build().graph();
        List<float[]> calib = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            calib.add(sinusoid(3 * 16 * 16, 0.05 + 0.013 * k, k));
        }
        ClassMaps reference = ClassMaps.of(fp32, calib, new long[] {1, 3, 16, 16}, 1);
        double allInt8 = reference.agreement(QdqQuantizer.builder().setCalibration(calib, 16, 16).build()
                .quantize(fp32));
        assertTrue(allInt8 < 1.0, "int8 moves some pixels to another class: " + allInt8);

        double target = 0.97;
        QdqQuantizer.Quantised mixed = QdqQuantizer.builder().setCalibration(calib, 16, 16).optAgreement(target)
                .build().quantizeDetailed(fp32);
        assertTrue(mixed.agreement() >= target, mixed.agreement() + " < " + target);
        assertEquals(mixed.agreement(), reference.agreement(mixed.graph()), "the reported agreement is the graph's");
        assertTrue(!mixed.keptFloat().isEmpty() && mixed.keptFloat().size() < 3,
                mixed.keptFloat() + " kept; all int8 " + allInt8 + "; alone " + mixed.sensitivity());
        assertEquals(3, mixed.sensitivity().size());
        assertEquals(mixed.keptFloat(), mixed.sensitivity().keySet().stream().limit(mixed.keptFloat().size())
                .toList(), "the most sensitive layers are the ones kept");
        long int8Weights = mixed.graph().initializers().values().stream()
                .filter(i -> i.type() == ElementType.INT8 && i.dims().length == 4).count();
        assertEquals(3 - mixed.keptFloat().size(), int8Weights, "the kept layers have float weights");
        for (String name : mixed.keptFloat()) {
            OnnxNode conv = mixed.graph().nodes().stream().filter(n -> n.name().equals(name)).findFirst()
                    .orElseThrow();
            assertEquals(ElementType.FLOAT, mixed.graph().initializer(conv.inputs().get(1)).type(), name);
        }

        QdqQuantizer.Quantised loose = QdqQuantizer.builder().setCalibration(calib, 16, 16).optAgreement(allInt8)
                .build().quantizeDetailed(fp32);
        assertEquals(List.of(), loose.keptFloat(), "a target the all-int8 graph meets keeps nothing in float");
    }

    /** The activation scale the quantiser chose for a tensor. */
    private static float scaleOf(OnnxGraph g, String tensor) {
        return g.initializers().values().stream().filter(i -> i.name().equals(tensor + "/scale")).findFirst()
                .orElseThrow().floats()[0];
    }

    static int[] argmax(float[] logits, int classes, int pixels) {
        int[] out = new int[pixels];
        for (int i = 0; i < pixels; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[c * pixels + i] > logits[best * pixels + i]) {
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }
}
