package ai.peft4j.infer.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.infer.onnx.OnnxExporter;
import ai.peft4j.infer.onnx.OnnxGraph;
import ai.peft4j.infer.onnx.OnnxPredictor;
import ai.peft4j.infer.onnx.OnnxWriter;
import ai.peft4j.infer.onnx.QdqQuantizer;
import ai.peft4j.infer.segment.LetterboxPreprocess;
import ai.peft4j.infer.segment.LogitsToClasses;
import ai.peft4j.infer.segment.ModelInput;
import ai.peft4j.infer.stream.StreamPipeline;
import ai.peft4j.infer.stream.StreamReport;
import ai.peft4j.infer.video.ImageFolderSource;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Frame rates and latencies of segmenters at batch 1: preprocessing (letterbox, /255), inference (the runtime's
 * forward alone), postprocessing (logits to a class map at the frame's size) each timed on its own, and end to end
 * through the {@link StreamPipeline}, where decoding, preprocessing and postprocessing run on their own threads
 * beside inference. Runtimes: the training engine (float32) and ONNX Runtime (float32 and static int8). On ONNX
 * Runtime the end-to-end run may call the model from several threads at once, each call on its share of the threads
 * (frames per second up, latency of a frame up too); the inference stage is one call at a time on all threads.
 * Made for shared machines: the inference and end-to-end runs are repeated, the runtimes taking turns, and each
 * runtime's fastest run is kept.
 */
public final class InferenceBenchmark {
    /** One measurement; {@code stage} is preprocess, inference, postprocess or end_to_end. */
    public record Row(String model, String runtime, String precision, String stage, double fps, double p50Ms,
            double p99Ms) {}

    /** What a model costs: MACs of one forward at the benchmark size. */
    public record Cost(String model, long macs) {
        public double gflop() {
            return 2.0 * macs / 1e9;
        }
    }

    /** A runtime under test: pixels {@code [1, 3, H, W]} in, logits {@code [1, C, h, w]} out. */
    private interface Runtime extends AutoCloseable {
        OnnxPredictor.Logits forward(float[] pixels, int height, int width);

        @Override
        void close();
    }

    /**
     * A runtime and precision under test: {@code runtime} for the stage runs (one call at a time on all threads),
     * {@code pipelined} for the end-to-end run with {@code workers} calls side by side (on ONNX Runtime a session of
     * its own with a share of the threads per call; on the engine the same runtime, one call at a time).
     */
    private record Measured(String name, String precision, Runtime runtime, Runtime pipelined, int workers)
            implements AutoCloseable {
        @Override
        public void close() {
            try {
                runtime.close();
            } finally {
                if (pipelined != runtime) {
                    pipelined.close();
                }
            }
        }
    }

    private Measured onnxMeasured(String precision, Path file) {
        Runtime whole = onnx(file, settings.threads());
        if (settings.workers() == 1) {
            return new Measured("onnxruntime", precision, whole, whole, 1);
        }
        try {
            return new Measured("onnxruntime", precision, whole,
                    onnx(file, Math.max(1, settings.threads() / settings.workers())), settings.workers());
        } catch (RuntimeException e) {
            whole.close();
            throw e;
        }
    }

    /**
     * @param size square input side
     * @param frames image files, read in order (decoded for the end-to-end run; decoded once for the stage runs)
     * @param warmup untimed calls before each stage's timed calls
     * @param runs timed calls per stage
     * @param threads intra-op threads of ONNX Runtime (the engine uses its own setting)
     * @param workers ONNX Runtime calls side by side in the end-to-end run, each on {@code threads / workers}
     *     threads (the engine runs one call at a time)
     * @param int8 whether to add ONNX Runtime int8 rows (calibrated on the first frames)
     * @param calibration frames used to calibrate int8
     * @param repeats inference and end-to-end runs per runtime, the fastest kept
     */
    public record Settings(int size, List<Path> frames, Path frameFolder, int warmup, int runs, int threads,
            int workers, boolean int8, int calibration, int repeats) {
        public Settings {
            if (workers < 1 || threads < 1 || repeats < 1) {
                throw new IllegalArgumentException("threads, workers and repeats must be at least 1, got " + threads
                        + ", " + workers + " and " + repeats);
            }
        }
    }

    private final Settings settings;
    private final PrintStream console;
    private final List<Row> rows = new ArrayList<>();
    private final List<Cost> costs = new ArrayList<>();

    public InferenceBenchmark(Settings settings, PrintStream console) {
        this.settings = settings;
        this.console = console;
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    public List<Cost> costs() {
        return List.copyOf(costs);
    }

    /**
     * Measures {@code model} (built and weighted by the caller, in eval mode) on every runtime; {@code work} holds
     * the ONNX files written on the way.
     */
    public void measure(String name, Module model, Path work) throws IOException {
        int n = settings.size();
        Letterbox letterbox = Letterbox.square(n);
        LetterboxPreprocess pre = new LetterboxPreprocess(letterbox);
        List<RgbImage> images = new ArrayList<>();
        for (Path f : settings.frames()) {
            images.add(ImageDecoder.readRgb(f));
        }
        List<ModelInput> inputs = images.stream().map(pre::prepare).toList();
        Layer layer = (Layer) model;
        try (NDManager m = EngineSetup.newManager()) {
            NDArray probe = m.create(inputs.get(0).pixels(), new Shape(1, 3, n, n));
            long macs = MacCounter.count(() -> NoGradient.run(() -> layer.forward(probe))).values().stream()
                    .mapToLong(Long::longValue).sum();
            costs.add(new Cost(name, macs));
        }
        add(timed(name, "engine", "fp32", "preprocess", images.size(), i -> pre.prepare(images.get(i))));
        List<Measured> measured = new ArrayList<>();
        Runtime engine = engine(model);
        measured.add(new Measured("engine", "fp32", engine, engine, 1));
        OnnxGraph graph = null;
        try {
            graph = OnnxExporter.builder().setModel(model).setInputSize(n, n).build().graph();
        } catch (RuntimeException e) {
            console.printf(Locale.ROOT, "  %s: no ONNX export (%s); engine rows only%n", name, e.getMessage());
        }
        if (graph != null) {
            Path f32 = work.resolve(name + ".onnx");
            OnnxWriter.write(graph, f32);
            measured.add(onnxMeasured("fp32", f32));
            if (settings.int8()) {
                List<float[]> calib = inputs.subList(0, Math.min(settings.calibration(), inputs.size())).stream()
                        .map(ModelInput::pixels).toList();
                OnnxGraph q = QdqQuantizer.builder().setCalibration(calib, n, n).optThreads(settings.threads())
                        .optExclude(QdqQuantizer.depthwise())
                        .build().quantize(graph);
                Path i8 = work.resolve(name + "-int8.onnx");
                OnnxWriter.write(q, i8);
                measured.add(onnxMeasured("int8", i8));
            }
        }
        try {
            List<Row> inference = fastest(measured, "inference", k -> timed(name, measured.get(k).name(),
                    measured.get(k).precision(), "inference", inputs.size(),
                    i -> measured.get(k).runtime().forward(inputs.get(i).pixels(), n, n)));
            List<Row> endToEnd = fastest(measured, "end_to_end", k -> endToEnd(name, measured.get(k).name(),
                    measured.get(k).precision(), measured.get(k).pipelined(), pre, measured.get(k).workers()));
            for (int k = 0; k < measured.size(); k++) {
                Measured m = measured.get(k);
                add(inference.get(k));
                OnnxPredictor.Logits sample = m.runtime().forward(inputs.get(0).pixels(), n, n);
                int classes = (int) sample.shape()[1];
                int h = (int) sample.shape()[2];
                int w = (int) sample.shape()[3];
                add(timed(name, m.name(), m.precision(), "postprocess", inputs.size(),
                        i -> LogitsToClasses.classes(sample.data(), classes, h, w, inputs.get(i))));
                add(endToEnd.get(k));
            }
        } finally {
            measured.forEach(Measured::close);
        }
    }

    /**
     * Runs {@code run} for each runtime {@link Settings#repeats} times, the runtimes taking turns run by run, and
     * keeps each one's fastest: the rate the machine gives when nothing else takes it. Turns are whole runs, not
     * single calls: two ONNX Runtime sessions called alternately halve each other's rate here, each session's
     * idle threads spinning on the cores the other needs.
     */
    private List<Row> fastest(List<Measured> measured, String stage, IntFunction<Row> run) {
        Row[] best = new Row[measured.size()];
        for (int r = 0; r < settings.repeats(); r++) {
            for (int k = 0; k < measured.size(); k++) {
                Row row = run.apply(k);
                if (settings.repeats() > 1) {
                    console.printf(Locale.ROOT, "  %-22s %-11s %-4s %-11s run %d of %d: %.1f FPS%n", row.model(),
                            row.runtime(), row.precision(), stage, r + 1, settings.repeats(), row.fps());
                }
                if (best[k] == null || row.fps() > best[k].fps()) {
                    best[k] = row;
                }
            }
        }
        return List.of(best);
    }

    private Row endToEnd(String name, String runtime, String precision, Runtime rt, LetterboxPreprocess pre,
            int workers) {
        int n = settings.size();
        int frames = settings.warmup() + settings.runs();
        StreamPipeline<ModelInput, Object[]> pipeline;
        try {
            pipeline = StreamPipeline.<ModelInput, Object[]>builder()
                    .setSource(ImageFolderSource.open(settings.frameFolder(), 25, frames))
                    .setPreprocess(pre)
                    .setInference((frame, input) -> new Object[] {input, rt.forward(input.pixels(), n, n)})
                    .setSink((frame, r) -> {
                        OnnxPredictor.Logits l = (OnnxPredictor.Logits) r[1];
                        LogitsToClasses.classes(l.data(), (int) l.shape()[1], (int) l.shape()[2],
                                (int) l.shape()[3], (ModelInput) r[0]);
                    })
                    .optInferenceWorkers(workers)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("frames of " + settings.frameFolder() + ": " + e.getMessage(), e);
        }
        StreamReport report = pipeline.run();
        StreamReport.StageTiming latency = report.stage(StreamPipeline.LATENCY);
        return new Row(name, runtime, precision, "end_to_end", report.fps(), latency.p50Ms(), latency.p99Ms());
    }

    /** Times {@code call} on inputs 0, 1, ... (cycling), after warm-up. */
    private Row timed(String name, String runtime, String precision, String stage, int count,
            Function<Integer, ?> call) {
        for (int i = 0; i < settings.warmup(); i++) {
            call.apply(i % count);
        }
        double[] ms = new double[settings.runs()];
        for (int i = 0; i < ms.length; i++) {
            long t = System.nanoTime();
            call.apply(i % count);
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        double seconds = Arrays.stream(ms).sum() / 1e3;
        return new Row(name, runtime, precision, stage, ms.length / seconds, percentile(ms, 50), percentile(ms, 99));
    }

    private void add(Row r) {
        rows.add(r);
        console.printf(Locale.ROOT, "  %-22s %-11s %-4s %-11s %8.1f FPS  p50 %8.2f ms  p99 %8.2f ms%n", r.model(),
                r.runtime(), r.precision(), r.stage(), r.fps(), r.p50Ms(), r.p99Ms());
    }

    static double percentile(double[] sorted, double p) {
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static Runtime engine(Module model) {
        Layer layer = (Layer) model;
        NDManager manager = EngineSetup.newManager();
        return new Runtime() {
            @Override
            public OnnxPredictor.Logits forward(float[] pixels, int height, int width) {
                try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray x = m.create(pixels, new Shape(1, 3, height, width));
                    return NoGradient.run(() -> {
                        NDArray y = layer.forward(x);
                        return new OnnxPredictor.Logits(y.toFloatArray(), y.getShape().getShape());
                    });
                }
            }

            @Override
            public void close() {
                manager.close();
            }
        };
    }

    private static Runtime onnx(Path file, int threads) {
        OnnxPredictor p = OnnxPredictor.builder().setModel(file).optThreads(threads).build();
        return new Runtime() {
            @Override
            public OnnxPredictor.Logits forward(float[] pixels, int height, int width) {
                return p.predict(pixels, 1, height, width);
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }

    /** Work files go here when the caller has no folder of its own. */
    public static Path tempFolder() throws IOException {
        return Files.createTempDirectory("peft4j-bench-infer");
    }
}
