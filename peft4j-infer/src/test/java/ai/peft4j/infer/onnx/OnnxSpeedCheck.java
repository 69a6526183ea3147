package ai.peft4j.infer.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.models.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A one-off measurement, not a test: median latency of FastSegFormer-E and -P at 224x224, batch 1, on DJL
 * (PyTorch), ONNX Runtime float and ONNX Runtime int8, all with 2 threads. Run with the test class path and
 * {@code ../shared} present: {@code java -cp ... ai.peft4j.infer.onnx.OnnxSpeedCheck [runs]}.
 */
public final class OnnxSpeedCheck {
    private OnnxSpeedCheck() {}

    public static void main(String[] args) throws Exception {
        EngineSetup.configureOffline();
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Path voc = Path.of("../shared/data/neu-seg");
        List<String> train = Files.readAllLines(voc.resolve("ImageSets/Segmentation/train.txt"));
        List<float[]> calib = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calib.add(CalibrationImages.pixels(voc.resolve("JPEGImages/" + train.get(i * 97).trim() + ".jpg"), 224,
                    224));
        }
        float[] image = CalibrationImages.pixels(voc.resolve("JPEGImages/" + train.get(5).trim() + ".jpg"), 224,
                224);
        Path tmp = Files.createTempDirectory("onnx-speed");
        for (String model : List.of("fastsegformer-e", "fastsegformer-p")) {
            try (NDManager manager = EngineSetup.newManager()) {
                Module net = ModelSpec.of(model, null, 4).build(manager);
                ClosedFormWeights.fill(net);
                net.eval();
                OnnxGraph fp32 = OnnxExporter.builder().setModel(net).setInputSize(224, 224).build().graph();
                OnnxGraph int8 = QdqQuantizer.builder().setCalibration(calib, 224, 224).optThreads(2).build()
                        .quantize(fp32);
                OnnxGraph int8Dense = QdqQuantizer.builder().setCalibration(calib, 224, 224).optThreads(2)
                        .optExclude(QdqQuantizer.depthwise()).build().quantize(fp32);
                Path i8d = tmp.resolve(model + "-int8-dense.onnx");
                OnnxWriter.write(int8Dense, i8d);
                Path f32 = tmp.resolve(model + ".onnx");
                Path i8 = tmp.resolve(model + "-int8.onnx");
                OnnxWriter.write(fp32, f32);
                OnnxWriter.write(int8, i8);
                NDArray x = manager.create(image, new Shape(1, 3, 224, 224));
                double djl = median(runs, () -> {
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray in = x.duplicate();
                        in.attach(scope);
                        ((Layer) net).forward(in).toFloatArray();
                    }
                });
                try (OnnxPredictor p = OnnxPredictor.builder().setModel(f32).optThreads(2).build();
                        OnnxPredictor q = OnnxPredictor.builder().setModel(i8).optThreads(2).build();
                        OnnxPredictor qd = OnnxPredictor.builder().setModel(i8d).optThreads(2).build()) {
                    float[] ref = ((Layer) net).forward(x).toFloatArray();
                    float[] a = p.predict(image, 1, 224, 224).data();
                    float[] b = q.predict(image, 1, 224, 224).data();
                    float diff = 0;
                    for (int i = 0; i < a.length; i++) {
                        diff = Math.max(diff, Math.abs(a[i] - ref[i]));
                    }
                    int[] ca = QdqQuantizerTest.argmax(a, 4, 224 * 224);
                    int[] cb = QdqQuantizerTest.argmax(b, 4, 224 * 224);
                    long agree = 0;
                    for (int i = 0; i < ca.length; i++) {
                        agree += ca[i] == cb[i] ? 1 : 0;
                    }
                    double ortF = median(runs, () -> p.predict(image, 1, 224, 224));
                    double ortQ = median(runs, () -> q.predict(image, 1, 224, 224));
                    double ortQd = median(runs, () -> qd.predict(image, 1, 224, 224));
                    int[] cd = QdqQuantizerTest.argmax(qd.predict(image, 1, 224, 224).data(), 4, 224 * 224);
                    long agreeD = 0;
                    for (int i = 0; i < ca.length; i++) {
                        agreeD += ca[i] == cd[i] ? 1 : 0;
                    }
                    System.out.printf(Locale.ROOT, "%s: int8 with float depth-wise convs %.1f ms (x%.2f vs fp32), "
                            + "agreement %.4f%n", model, ortQd, ortF / ortQd, (double) agreeD / ca.length);
                    System.out.printf(Locale.ROOT, "%s: max|ORT-DJL| %.2e, int8 argmax agreement %.4f, file %.1f MB "
                            + "-> %.1f MB%n", model, diff, (double) agree / ca.length, Files.size(f32) / 1e6,
                            Files.size(i8) / 1e6);
                    System.out.printf(Locale.ROOT, "%s: median ms  DJL %.1f | ORT fp32 %.1f | ORT int8 %.1f  "
                            + "(int8 vs fp32 x%.2f, int8 vs DJL x%.2f, fp32 vs DJL x%.2f)%n", model, djl, ortF, ortQ,
                            ortF / ortQ, djl / ortQ, djl / ortF);
                }
            }
        }
    }

    private static double median(int runs, Runnable r) {
        for (int i = 0; i < 5; i++) {
            r.run();
        }
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[runs / 2];
    }
}
