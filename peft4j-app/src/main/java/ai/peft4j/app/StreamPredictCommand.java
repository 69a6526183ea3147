package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.OutputClasses;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.infer.onnx.OnnxFrameModel;
import ai.peft4j.infer.onnx.OnnxPredictor;
import ai.peft4j.infer.segment.FrameModel;
import ai.peft4j.infer.segment.LetterboxPreprocess;
import ai.peft4j.infer.segment.ModelInput;
import ai.peft4j.infer.segment.ModuleFrameModel;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.infer.segment.TiledFrameModel;
import ai.peft4j.infer.stats.ClassMap;
import ai.peft4j.infer.stats.InspectionSink;
import ai.peft4j.infer.stream.StreamException;
import ai.peft4j.infer.stream.StreamPipeline;
import ai.peft4j.infer.stream.Stage;
import ai.peft4j.infer.stream.StreamReport;
import ai.peft4j.infer.video.CameraSource;
import ai.peft4j.infer.video.FrameSource;
import ai.peft4j.infer.video.ImageFolderSource;
import ai.peft4j.infer.video.MjpegSource;
import ai.peft4j.infer.video.VideoFileSource;
import ai.peft4j.models.ModelSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j stream}: segments every frame of a video file or an image folder with decoding, preprocessing,
 * inference and writing overlapped on their own threads, and writes per-frame defect statistics and overlays.
 */
@Command(name = "stream", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Segment a video file, a folder of images, a motion-JPEG stream or a live camera frame by "
                + "frame, as a production line would: decoding, preprocessing, inference and writing run on their "
                + "own threads joined by bounded queues, in frame order.",
            "Writes under --out: stats.csv and stats.jsonl (area per class, bounding boxes of connected defect "
                + "regions, one row per frame), overlay.mp4 and overlays/NAME.png (classes blended over the frame), "
                + "and stream-report.json (FPS, per-stage p50/p99 times). Ctrl-C stops decoding and keeps what was "
                + "written."})
final class StreamPredictCommand implements Callable<Integer> {
    static final class Input {
        @Option(names = "--video", paramLabel = "FILE", description = "A video file: H.264 in MP4 or MOV.")
        Path video;

        @Option(names = "--folder", paramLabel = "DIR", description = "A folder of images, read in file-name order.")
        Path folder;

        @Option(names = "--mjpeg", paramLabel = "FILE", description = "A motion-JPEG stream (JPEG frames one after "
                + "another) from a file, a named pipe or standard input (-), read as it arrives: e.g. a camera "
                + "through ffmpeg, ffmpeg -i DEVICE -f mjpeg - | peft4j stream --mjpeg - ...")
        Path mjpeg;

        @Option(names = "--camera", paramLabel = "N", description = "Live camera N of this machine (/dev/videoN on "
                + "Linux, AVFoundation device N on macOS), captured by ffmpeg, which must be on PATH; --fps is the "
                + "rate asked of it. Ctrl-C ends the stream.")
        Integer camera;
    }

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Input (one of):%n")
    Input input;

    @Option(names = "--model", defaultValue = "fastsegformer-e", description = "Architecture: ${COMPLETION-CANDIDATES}"
            + " (default: ${DEFAULT-VALUE}).", completionCandidates = SummaryCommand.Models.class)
    String model;

    @Option(names = "--backbone", description = "Backbone preset, when the model has several (see summary --help).")
    String backbone;

    @Option(names = "--classes", description = OutputClasses.HELP)
    Integer classes;

    @Option(names = "--class-names", split = ",", paramLabel = "NAME", description = "A name per class, background "
            + "first, for the statistics (default: background, class1, class2, ...).")
    List<String> classNames;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Weights: a peft4j training checkpoint, a "
            + "safetensors state dict or a PyTorch .pth/.pt. "
            + "Without it the model has random weights (to try the pipeline only).")
    Path checkpoint;

    @Option(names = "--onnx", paramLabel = "FILE", description = "Run a graph written by 'peft4j export' on ONNX "
            + "Runtime instead of the training engine (the fast path on a CPU); --model, --backbone, --classes, "
            + "--checkpoint and the method options are then not used, and a graph of fixed size sets --input-size.")
    Path onnx;

    @Option(names = "--workers", paramLabel = "N", description = "Frames run through the ONNX graph side by side, "
            + "each call on threads/N threads (default: 2 where there are at least 2 cores: on a small CPU two "
            + "one-thread calls give more frames per second than one two-thread call). The engine runs one at a time.")
    Integer workers;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads in all (default: the "
            + "machine's cores).")
    Integer threads;

    @ArgGroup(exclusive = false, heading = "Fine-tuning method of the checkpoint (attached before loading):%n")
    MethodOptions method = new MethodOptions();

    @Option(names = "--input-size", defaultValue = "224", description = "Side of the square letterbox the model "
            + "sees (default: ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--tile", paramLabel = "SIZE", description = "For a model trained on crops: predict each frame "
            + "by sliding windows of SIZE x SIZE tiles at native resolution instead of the letterbox.")
    Integer tile;

    @Option(names = "--tile-overlap", defaultValue = "0.25", paramLabel = "SHARE", description = "With --tile: the "
            + "share of a tile that neighbouring tiles share (default: ${DEFAULT-VALUE}).")
    double tileOverlap;

    @Option(names = "--tile-batch", defaultValue = "4", paramLabel = "N", description = "With --tile: tiles per "
            + "forward pass (default: ${DEFAULT-VALUE}).")
    int tileBatch;

    @Option(names = "--scale", defaultValue = "1", paramLabel = "X", description = "With --tile: the training scale, "
            + "frames are resized by X before tiling (default: ${DEFAULT-VALUE}).")
    double scale;

    @Option(names = "--out", defaultValue = "runs/stream", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--fps", defaultValue = "25", description = "Frame rate of a folder's or a motion-JPEG stream's "
            + "frames in the overlay video, and the rate asked of a camera (default: ${DEFAULT-VALUE}; a video file "
            + "keeps its own).")
    double fps;

    @Option(names = "--queue", defaultValue = "4", description = "Frames each queue between stages holds "
            + "(default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--drop-frames", description = "Drop the oldest waiting frames when inference falls behind, "
            + "instead of holding decoding back: for live sources; a file is then read at full speed and most of "
            + "its frames are skipped.")
    boolean dropFrames;

    @Option(names = "--no-video", description = "Do not write overlay.mp4.")
    boolean noVideo;

    @Option(names = "--no-png", description = "Do not write overlays/NAME.png.")
    boolean noPng;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        if (inputSize < 16) {
            throw new IllegalArgumentException("--input-size must be at least 16, got " + inputSize);
        }
        Outputs outputs = new Outputs(out, queue, dropFrames, !noVideo, !noPng);
        SlidingWindow window = null;
        if (tile != null) {
            if (onnx != null) {
                throw new IllegalArgumentException("--tile runs the model on the training engine (--checkpoint); "
                        + "an ONNX graph (--onnx) is letterboxed");
            }
            if (tile < 16) {
                throw new IllegalArgumentException("--tile must be at least 16, got " + tile);
            }
            try {
                window = new SlidingWindow(tile, tileOverlap, tileBatch, scale);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--tile " + tile + ": " + e.getMessage(), e);
            }
        }
        if (onnx != null) {
            return callOnnx(outputs, console);
        }
        if (workers != null && workers > 1) {
            throw new IllegalArgumentException("--workers " + workers + " needs --onnx: the training engine runs one "
                    + "frame at a time (export the model with 'peft4j export --onnx' for the fast path)");
        }
        try (FrameSource source = openSource(); NDManager manager = EngineSetup.newManager()) {
            Weights weights = checkpoint == null ? null : read(checkpoint, manager);
            ModelSpec modelSpec = ModelSpec.of(model, backbone, OutputClasses.resolve(classes, model, weights));
            List<String> names = classNames(classNames, modelSpec.numClasses());
            Module net = modelSpec.build(manager);
            if (method != null && method.chosen()) {
                method.build(manager, true).attach(net);
            }
            if (weights != null) {
                console.println("Weights   " + load(net, weights));
            } else {
                console.println("Weights   none given: random weights, the output shows the pipeline only");
            }
            console.println("Model     " + modelSpec.describe());
            if (window != null) {
                SlidingWindow w = window;
                try (TiledFrameModel frameModel = new TiledFrameModel(net, w)) {
                    inspect(source, frameModel, 1, (frame, image) -> w.prepare(image), names,
                            ai.peft4j.data.image.Palette.voc(), outputs, console);
                }
                return 0;
            }
            try (ModuleFrameModel frameModel = new ModuleFrameModel(net)) {
                inspect(source, frameModel, 1, inputSize, names, ai.peft4j.data.image.Palette.voc(), outputs, console);
            }
        }
        return 0;
    }

    private int callOnnx(Outputs outputs, PrintWriter console) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        int total = threads != null ? threads : cores;
        int calls = workers != null ? workers : Math.min(2, total);
        if (total < 1 || calls < 1) {
            throw new IllegalArgumentException("--threads and --workers must be at least 1");
        }
        int perCall = Math.max(1, total / calls);
        OnnxPredictor predictor = OnnxPredictor.builder().setModel(onnx).optThreads(perCall).build();
        try (OnnxFrameModel frameModel = new OnnxFrameModel(predictor)) {
            long[] in = predictor.inputDims();
            int side = inputSize;
            if (in[2] > 0 && in[3] > 0) {
                if (in[2] != in[3]) {
                    throw new IllegalArgumentException("ONNX file " + onnx + " takes " + in[2] + "x" + in[3]
                            + " images; the stream letterboxes to a square (export writes square graphs: "
                            + "--input-size)");
                }
                side = (int) in[2];
            }
            int outClasses = frameModel.classes(side);
            List<String> names = classNames(classNames, outClasses);
            console.printf(Locale.ROOT, "Model     %s on ONNX Runtime (%d classes, %dx%d input; %d call%s side by "
                    + "side, %d thread%s each)%n", onnx, outClasses, side, side, calls, calls == 1 ? "" : "s",
                    perCall, perCall == 1 ? "" : "s");
            try (FrameSource source = openSource()) {
                inspect(source, frameModel, calls, side, names, ai.peft4j.data.image.Palette.voc(), outputs, console);
            }
        }
        return 0;
    }

    private FrameSource openSource() throws java.io.IOException {
        return openSource(input.video, input.folder, input.mjpeg, input.camera, fps);
    }

    /** The one source given: a video file, a folder, a motion-JPEG stream or a camera ({@code fps} for the last 3). */
    static FrameSource openSource(Path video, Path folder, Path mjpeg, Integer camera, double fps)
            throws java.io.IOException {
        if (video != null) {
            return VideoFileSource.open(video);
        }
        if (mjpeg != null) {
            return MjpegSource.open(mjpeg, fps);
        }
        if (camera != null) {
            return CameraSource.open(camera, fps);
        }
        return ImageFolderSource.open(folder, fps);
    }

    /**
     * Before the first frame: no output may replace one of the folder's images (--out may be, or hold, the folder
     * being read), and every overlay name from a file name stays inside overlays/.
     */
    private static void refuseOverwritingInputs(ImageFolderSource folder, Outputs outputs) {
        InputFiles inputs = InputFiles.of(folder.files());
        String hint = "choose an --out folder that does not hold the images being read";
        for (String name : List.of(InspectionSink.CSV, InspectionSink.JSONL, InspectionSink.VIDEO,
                "stream-report.json")) {
            inputs.refuseOverwrite(outputs.dir().resolve(name), hint);
        }
        if (outputs.pngs()) {
            for (Path f : folder.files()) {
                String n = f.getFileName().toString();
                inputs.refuseOverwrite(ContainedPath.resolve(outputs.dir().resolve(InspectionSink.PNG_FOLDER),
                        n.substring(0, n.lastIndexOf('.')), ".png", "image name"), hint);
            }
        }
    }

    /** Where and how a stream's results are written. */
    record Outputs(Path dir, int queue, boolean dropFrames, boolean video, boolean pngs) {}

    /**
     * Runs {@code source} through {@code model} on the pipeline ({@code workers} inference calls side by side) and
     * writes statistics, overlays and the report; shared by {@code stream} and {@code predict --video}.
     */
    static void inspect(FrameSource source, FrameModel model, int workers, int inputSize, List<String> names,
            ai.peft4j.data.image.Palette palette, Outputs outputs, PrintWriter console) throws java.io.IOException {
        inspect(source, model, workers, new LetterboxPreprocess(Letterbox.square(inputSize)), names, palette,
                outputs, console);
    }

    /** As above with any preprocessing, e.g. a sliding window's for a model trained on crops. */
    static void inspect(FrameSource source, FrameModel model, int workers, Stage<RgbImage, ModelInput> preprocess,
            List<String> names, ai.peft4j.data.image.Palette palette, Outputs outputs, PrintWriter console)
            throws java.io.IOException {
        console.println("Source    " + source.describe());
        if (source instanceof ImageFolderSource folder) {
            refuseOverwritingInputs(folder, outputs);
        }
        InspectionSink.Config config = new InspectionSink.Config(outputs.dir(), names, palette, 0.6, outputs.video(),
                outputs.pngs(), source.fps());
        StreamPipeline<ModelInput, ClassMap> pipeline = StreamPipeline.<ModelInput, ClassMap>builder()
                .setSource(source).setPreprocess(preprocess)
                .setInference(model).setSink(new InspectionSink(config)).optQueueCapacity(outputs.queue())
                .optInferenceWorkers(model.concurrent() ? workers : 1)
                .optDropFrames(outputs.dropFrames()).build();
        try {
            runWithCtrlC(pipeline, source.frameCount(), console, report -> {
                console.print(report.format());
                writeReport(report, outputs.dir().resolve("stream-report.json"));
                console.printf(Locale.ROOT, "%.2f FPS; outputs in %s%n", report.fps(),
                        outputs.dir().toAbsolutePath());
                console.flush();
            });
        } catch (StreamException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException || c instanceof java.io.IOException
                    || c instanceof java.io.UncheckedIOException || c instanceof IllegalStateException) {
                // Bad input (a damaged video, an unreadable image): one message, no stack trace.
                throw new IllegalStateException(e.getMessage() + " (the outputs keep the frames before it)", e);
            }
            throw e;
        }
    }

    /** What is done with the report once the stream has ended. */
    @FunctionalInterface
    interface Ending {
        void accept(StreamReport report) throws java.io.IOException;
    }

    /**
     * Runs the stream with a line of progress every few seconds and a shutdown hook that, on Ctrl-C (or SIGTERM),
     * stops decoding and holds the JVM until the sink has closed its files and {@code ending} has written the report.
     */
    private static void runWithCtrlC(StreamPipeline<?, ?> pipeline, long total, PrintWriter console, Ending ending)
            throws java.io.IOException {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            pipeline.stop();
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stream-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread progress = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                while (true) {
                    Thread.sleep(5000);
                    long done = pipeline.framesWritten();
                    double s = (System.nanoTime() - t0) / 1e9;
                    console.printf(Locale.ROOT, "  %d%s frames, %.2f FPS%n", done, total > 0 ? " / " + total : "",
                            done / s);
                    console.flush();
                }
            } catch (InterruptedException e) {
                // the stream has ended
            }
        }, "stream-progress");
        progress.setDaemon(true);
        progress.start();
        try {
            StreamReport report;
            try {
                report = pipeline.run();
            } finally {
                progress.interrupt();
            }
            ending.accept(report);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running and has just been released
            }
        }
    }

    static List<String> classNames(List<String> given, int classes) {
        if (given != null) {
            if (given.size() != classes) {
                throw new IllegalArgumentException("--class-names gives " + given.size() + " names for " + classes
                        + " classes");
            }
            return given;
        }
        List<String> names = new ArrayList<>();
        names.add("background");
        for (int c = 1; c < classes; c++) {
            names.add("class" + c);
        }
        return names;
    }

    /** Reads a training checkpoint's model part or a plain state dict. */
    static Weights read(Path file, NDManager manager) throws java.io.IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("checkpoint " + file + " does not exist");
        }
        return Weights.read(file, manager);
    }

    /** Loads {@code read} into {@code net}; every model tensor must be in it. */
    static String load(Module net, Weights read) {
        Weights weights = read.forModel(net);
        LoadReport report = net.loadStateDict(weights.tensors(), false);
        if (!report.missing().isEmpty() || !report.mismatched().isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + read.file() + " does not fit the model (check "
                    + "--model, --backbone, --classes and --method): " + report.describe() + weights.layoutNote());
        }
        return read.file() + ": " + report.describe();
    }

    private static void writeReport(StreamReport report, Path file) throws java.io.IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("frames_read", report.framesRead());
        m.put("frames_written", report.framesWritten());
        m.put("frames_dropped", report.framesDropped());
        m.put("seconds", report.seconds());
        m.put("fps", report.fps());
        m.put("stopped_early", report.stopped());
        Map<String, Object> stages = new LinkedHashMap<>();
        for (StreamReport.StageTiming s : report.stages()) {
            stages.put(s.stage(), Map.of("frames", s.frames(), "p50_ms", s.p50Ms(), "p99_ms", s.p99Ms(), "mean_ms",
                    s.meanMs(), "max_ms", s.maxMs()));
        }
        m.put("stages", stages);
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(m);
        AtomicFiles.write(file, o -> o.write(json));
    }
}
