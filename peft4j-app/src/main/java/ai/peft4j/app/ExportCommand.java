package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.run.OutputClasses;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.data.Sample;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.infer.onnx.CalibrationImages;
import ai.peft4j.infer.onnx.OnnxExporter;
import ai.peft4j.infer.onnx.OnnxGraph;
import ai.peft4j.infer.onnx.OnnxNode;
import ai.peft4j.infer.onnx.OnnxPredictor;
import ai.peft4j.infer.onnx.OnnxWriter;
import ai.peft4j.infer.onnx.QdqQuantizer;
import ai.peft4j.models.ModelSpec;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peft4j export}: a trained segmenter as an ONNX file, float or statically quantised int8. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a segmenter to ONNX (input 'images' [N,3,H,W] float32 in [0,1], output 'output' "
            + "logits), optionally as a statically quantised int8 QDQ graph calibrated on a folder of images.",
            "The float export is checked against the engine's own forward on ONNX Runtime before it is kept."})
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "fastsegformer-e, fastsegformer-p, "
            + "fastsegformer-teacher (the Swin-T-Att-UNet distillation teacher) or swin-att-unet (with a LoRA adapter "
            + "merged into its weights: the exporter refuses unmerged adapters).")
    String model;

    @Option(names = "--backbone", description = "Swin preset of swin-att-unet: swin-t (default), swin-s, "
            + "swin-fixture.")
    String backbone;

    @Option(names = "--checkpoint", description = "Weights: a peft4j training checkpoint, a safetensors state "
            + "dict with PyTorch names or a PyTorch .pth/.pt. "
            + "Without it the model is exported with fresh random weights.")
    Path checkpoint;

    @Option(names = "--onnx", required = true, description = "The ONNX file to write.")
    Path onnx;

    @Option(names = "--classes", description = OutputClasses.HELP)
    Integer classes;

    @Option(names = "--input-size", defaultValue = "224", description = "Side of the square input "
            + "(default: ${DEFAULT-VALUE}; FastSegFormer-E takes 224 only).")
    int inputSize;

    @Option(names = "--fixed-batch", description = "Fix the batch size to 1, as the published export does "
            + "(default: an open batch axis N).")
    boolean fixedBatch;

    @Option(names = "--int8", description = "Quantise statically to int8 (needs --calib).")
    boolean int8;

    @Option(names = "--calib", description = "Folder of calibration images (resized to the input size, /255).")
    Path calib;

    @Option(names = "--calib-count", defaultValue = "32", description = "Calibration images to use "
            + "(default: ${DEFAULT-VALUE}).")
    int calibCount;

    @Option(names = "--int8-depthwise", description = "Quantise depth-wise convolutions too (by default they stay "
            + "float: at 224x224 on 2 CPU threads that made FastSegFormer-E x1.39 faster than float instead of x1.09).")
    boolean int8Depthwise;

    @Option(names = "--int8-exclude", paramLabel = "MODULE", split = ",", description = "Modules to keep in float "
            + "(paths as in the state dict, e.g. cnn_up,classify): the layers whose int8 error costs the most mIoU.")
    List<String> int8Exclude = List.of();

    @Option(names = "--int8-agreement", paramLabel = "MIOU", description = "Choose the layers to keep in float: "
            + "the fewest of those whose int8 error moves the predicted classes most, such that the int8 graph's class "
            + "maps agree with the float graph's on the calibration images to this mIoU, in percent (e.g. 99.5). "
            + "Runs the calibration images once per quantisable layer.")
    Double agreement;

    @Option(names = "--int8-unsigned-weights", description = "8-bit weights as uint8 (ONNX Runtime's U8U8 kernels): "
            + "full 8-bit weights without saturation on x86 CPUs without VNNI, slower there than int8 weights.")
    boolean unsignedWeights;

    @Option(names = "--int8-weight-bits", description = "7 or 8 (default: 7 on x86 CPUs without VNNI, whose int8 "
            + "kernels saturate int16 pair sums, as ONNX Runtime's reduce_range; else 8).")
    Integer weightBits;

    @Option(names = "--percentile", description = "Activation ranges from this percentile (e.g. 99.99) instead "
            + "of min/max.")
    Double percentile;

    @Option(names = "--score", paramLabel = "DIR", description = "Score the written graph on a VOC-layout data set "
            + "(with --int8, the float graph too, so the cost of quantising shows): mIoU over --score-split as "
            + "training reports it, on letterboxed images with the letterbox bands left out.")
    Path score;

    @Option(names = "--score-split", defaultValue = "test", description = "(default: ${DEFAULT-VALUE})")
    String scoreSplit;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String name = model.toLowerCase(Locale.ROOT);
        if (!List.of("fastsegformer-e", "fastsegformer-p", "fastsegformer-teacher", "swin-att-unet").contains(name)) {
            throw new IllegalArgumentException("--model " + model + " cannot be exported yet (exportable: "
                    + "fastsegformer-e, fastsegformer-p, fastsegformer-teacher, swin-att-unet)");
        }
        if (int8 && calib == null) {
            throw new IllegalArgumentException("--int8 needs --calib DIR, a folder of images to calibrate on");
        }
        if (checkpoint != null) {
            // An --onnx typed where --checkpoint was meant would replace the trained weights with their export.
            InputFiles.of(List.of(checkpoint)).refuseOverwrite(onnx, "give --onnx a new file name");
        }
        if (!int8 && (calib != null || agreement != null || unsignedWeights || weightBits != null
                || !int8Exclude.isEmpty())) {
            throw new IllegalArgumentException("--calib and the --int8-... options are only used with --int8");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = EngineSetup.newManager()) {
            Weights weights = checkpoint == null ? null : Weights.read(checkpoint, manager);
            int numClasses = OutputClasses.resolve(classes, name, weights);
            ModelSpec modelSpec = ModelSpec.of(name, name.equals("swin-att-unet") ? backbone : null, numClasses);
            Module net = modelSpec.build(manager);
            if (weights != null) {
                net.loadStateDict(weights.forModel(net).tensors(), true);
            }
            net.eval();
            out.println("Model     " + modelSpec.describe() + (checkpoint == null ? ", random weights"
                    : ", weights " + checkpoint));
            OnnxGraph graph = OnnxExporter.builder().setModel(net).setInputSize(inputSize, inputSize)
                    .optDynamicBatch(!fixedBatch).build().graph();
            List<float[]> images = calib == null ? List.of()
                    : CalibrationImages.fromFolder(calib, inputSize, inputSize, calibCount);
            float diff = check(net, graph, manager, images.isEmpty() ? null : images.get(0));
            out.printf(Locale.ROOT, "Checked   ONNX Runtime vs engine forward: max |difference| %.2e%n", diff);
            OnnxGraph floatGraph = graph;
            if (int8) {
                QdqQuantizer.Builder q = QdqQuantizer.builder().setCalibration(images, inputSize, inputSize);
                if (weightBits != null) {
                    q.optWeightBits(weightBits);
                }
                if (unsignedWeights) {
                    if (weightBits != null && weightBits != 8) {
                        throw new IllegalArgumentException("--int8-unsigned-weights are 8-bit; leave out "
                                + "--int8-weight-bits");
                    }
                    q.optUnsignedWeights(true);
                }
                Predicate<OnnxNode> floatNodes = QdqQuantizer.under(int8Exclude);
                q.optExclude(int8Depthwise ? floatNodes : floatNodes.or(QdqQuantizer.depthwise()));
                if (percentile != null) {
                    q.optPercentile(percentile);
                }
                if (agreement != null) {
                    if (agreement <= 0 || agreement > 100) {
                        throw new IllegalArgumentException("--int8-agreement is a percentage in (0, 100], got "
                                + agreement);
                    }
                    q.optAgreement(agreement / 100).optProgress(new PrintStream(System.err, true,
                            StandardCharsets.UTF_8));
                }
                QdqQuantizer.Quantised result = q.build().quantizeDetailed(graph);
                graph = result.graph();
                out.printf(Locale.ROOT, "Quantised int8 QDQ (%d-bit %s weights)%s%s, calibrated on %d images of %s "
                        + "(%s)%n", q.weightBits(), unsignedWeights ? "uint8" : "int8",
                        int8Depthwise ? "" : " (depth-wise convolutions float)",
                        int8Exclude.isEmpty() ? "" : " (float: " + String.join(", ", int8Exclude) + ")",
                        images.size(), calib,
                        percentile == null ? "min/max" : percentile + " percentile");
                if (!result.sensitivity().isEmpty()) {
                    StringBuilder worst = new StringBuilder();
                    result.sensitivity().entrySet().stream().limit(8).forEach(e -> worst.append(String.format(
                            Locale.ROOT, "%n            %6.2f%%  %s", 100 * e.getValue(), e.getKey())));
                    out.println("Most sensitive layers (agreement with only that layer in int8):" + worst);
                }
                if (agreement != null) {
                    out.printf(Locale.ROOT, "Agreement class maps vs float on the calibration images: mIoU %.2f%%, "
                            + "%d layer%s kept in float%s%n", 100 * result.agreement(), result.keptFloat().size(),
                            result.keptFloat().size() == 1 ? "" : "s", result.keptFloat().isEmpty() ? ""
                                    : ": " + String.join(", ", result.keptFloat()));
                }
            }
            OnnxWriter.write(graph, onnx);
            out.printf(Locale.ROOT, "Wrote     %s (%.1f MB, opset %d, %d nodes, input images [%s, 3, %d, %d], "
                    + "output output)%n", onnx, Files.size(onnx) / 1e6, OnnxWriter.OPSET, graph.nodes().size(),
                    fixedBatch ? "1" : "N", inputSize, inputSize);
            if (score != null) {
                double written = meanIou(onnx, numClasses, manager);
                if (int8) {
                    Path tmp = Files.createTempFile("peft4j-export", ".onnx");
                    try {
                        OnnxWriter.write(floatGraph, tmp);
                        double fp32 = meanIou(tmp, numClasses, manager);
                        out.printf(Locale.ROOT, "Scored    %s of %s: float mIoU %.2f%%, int8 %.2f%% (%+.2f points)%n",
                                scoreSplit, score, 100 * fp32, 100 * written, 100 * (written - fp32));
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                } else {
                    out.printf(Locale.ROOT, "Scored    %s of %s: mIoU %.2f%%%n", scoreSplit, score, 100 * written);
                }
            }
        }
        return 0;
    }

    /**
     * mIoU of an ONNX graph on the scored split as training scores it: letterboxed images, logits resized to the
     * input (bilinear, corners aligned; FastSegFormer answers at 224x224 whatever its input), argmax per pixel.
     */
    private double meanIou(Path file, int numClasses, NDManager manager) throws Exception {
        String[] names = new String[numClasses];
        names[0] = "background";
        for (int c = 1; c < numClasses; c++) {
            names[c] = "class " + c;
        }
        VocDataset data = VocDataset.open(score, scoreSplit, VocConfig.of(names));
        Letterbox letterbox = Letterbox.square(inputSize);
        ConfusionMatrix cm = new ConfusionMatrix(numClasses);
        try (OnnxPredictor p = OnnxPredictor.builder().setModel(file).build()) {
            for (int i = 0; i < data.size(); i++) {
                Sample s = letterbox.apply(data.read(i), new SplittableRandom(0)).toSample();
                OnnxPredictor.Logits out = p.predict(s.image(), 1, s.height(), s.width());
                try (NDManager scope = manager.newSubManager()) {
                    NDArray logits = Resize.bilinear(scope.create(out.data(), new Shape(out.shape())), s.height(),
                            s.width(), true);
                    cm.add(s.mask(), logits.argMax(1).toType(DataType.INT32, false).toIntArray());
                }
            }
        }
        return cm.scores().meanIou();
    }

    /** Max |ONNX Runtime - engine| of the float graph on one image (a calibration image, else a fixed pattern). */
    private float check(Module net, OnnxGraph graph, NDManager manager, float[] image) throws Exception {
        int n = 3 * inputSize * inputSize;
        float[] pixels = image;
        if (pixels == null) {
            pixels = new float[n];
            for (int i = 0; i < n; i++) {
                pixels[i] = (float) (0.5 + 0.5 * Math.sin(0.013 * i));
            }
        }
        Path tmp = Files.createTempFile("peft4j-export", ".onnx");
        try {
            OnnxWriter.write(graph, tmp);
            float[] expected;
            try (NDManager scope = manager.newSubManager()) {
                expected = ((Layer) net).forward(scope.create(pixels, new Shape(1, 3, inputSize, inputSize)))
                        .toFloatArray();
            }
            float[] actual;
            try (OnnxPredictor p = OnnxPredictor.builder().setModel(tmp).build()) {
                actual = p.predict(pixels, 1, inputSize, inputSize).data();
            }
            float diff = 0;
            for (int i = 0; i < expected.length; i++) {
                diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
            }
            if (!(diff < 1e-3f)) {
                throw new IllegalStateException("the exported graph differs from the model's forward by " + diff
                        + " (max abs over the logits); not writing " + onnx);
            }
            return diff;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
