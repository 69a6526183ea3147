package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ConfigOverride;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TrainedModel;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.infer.render.Overlay;
import ai.peft4j.infer.segment.ModuleFrameModel;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.infer.segment.TiledFrameModel;
import ai.peft4j.infer.video.FrameSource;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code peft4j predict}: class maps and overlays for images, and the stream pipeline for videos and cameras. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Predict the defects of images (files, or every image in a folder), of a video, a motion-JPEG "
                + "stream or a live camera with a trained model.",
            "Writes, per image, masks/<name>.png (an index PNG at the image's own size: the value is the class id, "
                + "the palette gives the colours) and overlays/<name>.png (the class colours over the image at "
                + "alpha 0.6).",
            "The model comes from a run file: --config, or else the config.yaml that train/finetune left beside "
                + "the adapter's run or the checkpoint. A model trained on crops (data.sampling: crops) predicts by "
                + "sliding windows of the crop size at the run's scale."})
final class PredictCommand implements Callable<Integer> {
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif",
            ".tiff");

    @Parameters(arity = "0..*", paramLabel = "IMAGE|DIR", description = "Images, or folders of images.")
    List<Path> inputs;

    @Option(names = "--video", paramLabel = "FILE", description = "A video (H.264 in MP4 or MOV) instead of images: "
            + "decoded, segmented and written on a pipeline of threads, with per-frame defect statistics "
            + "(stats.csv, stats.jsonl), overlay.mp4, overlays/ and stream-report.json (FPS, per-stage times).")
    Path video;

    @Option(names = "--mjpeg", paramLabel = "FILE", description = "A motion-JPEG stream from a file, a named pipe or "
            + "standard input (-), segmented as it arrives, as --video is (see stream --help).")
    Path mjpeg;

    @Option(names = "--camera", paramLabel = "N", description = "Live camera N, captured by ffmpeg (on PATH), "
            + "segmented as --video is until Ctrl-C (see stream --help).")
    Integer camera;

    @Option(names = "--fps", defaultValue = "25", description = "Rate asked of a camera and written into the overlay "
            + "video of a motion-JPEG stream (default: ${DEFAULT-VALUE}).")
    double fps;

    @Mixin
    CheckpointOptions weights;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Mixin
    PredictionOptions tiles;

    @Option(names = "--prompts", paramLabel = "FILE", description = "task: promptable only: a CSV file of "
            + "image,x0,y0,x1,y1 rows (box corners in the image's pixels, inclusive) and image,x,y[,label] rows "
            + "(a click, label 1 or 0; see --point), an optional header row 'image,...'; one mask per row as masks/<name>_<k>.png (0 background, 1 defect). Without it, a "
            + "promptable model predicts the given images prompt-free, one mask each as masks/<name>.png; a "
            + "promptable.classes: all model writes class maps and overlays as a segmenter does.")
    Path prompts;

    @Option(names = "--box", paramLabel = "X0,Y0,X1,Y1", description = "task: promptable only: a box (corners in "
            + "image pixels, inclusive) asked of every image given; repeat it for several masks per image, written "
            + "as masks/<name>_<k>.png.")
    List<String> boxes;

    @Option(names = "--point", paramLabel = "X,Y[,LABEL]", description = "task: promptable only: a click (pixel "
            + "x,y of the image; label 1, a defect there, unless given; 0 asks for background there, as the "
            + "published training prompts a defect-free image) asked of every image given; repeat it for several "
            + "masks per image (one click each, as the model was trained), numbered after the --box masks.")
    List<String> points;

    @Mixin
    GenerationOptions generation;

    @Option(names = "--prompt", defaultValue = "<OD>", paramLabel = "TASK", description = "task: detection: the "
            + "Florence-2 task prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        List<ConfigOverride> named = tiles.overrides();
        RunConfig c = runConfig(config, weights.checkpoint, weights.adapter, named);
        int tileBatch = tiles.batch();
        long streams = java.util.stream.Stream.of(video, mjpeg, camera).filter(java.util.Objects::nonNull).count();
        if (streams > 1) {
            throw new IllegalArgumentException("give one of --video, --mjpeg and --camera");
        }
        tiles.checkLogitAdjust(c, streams == 1);
        if (streams == 1 && (c.classifies() || (c.promptableTask() && !c.promptable().allClasses())
                || c.detects())) {
            throw new IllegalArgumentException("a " + c.task() + " run predicts images, not --video, --mjpeg or "
                    + "--camera streams");
        }
        if (streams == 1) {
            return predictStream(c);
        }
        if (c.promptableTask() && c.promptable().allClasses() && (prompts != null || boxes != null
                || points != null)) {
            throw new IllegalArgumentException("a promptable.classes: all run is prompt-free (one mask token per "
                    + "class, class maps as a segmenter writes them): leave out "
                    + (prompts != null ? "--prompts" : boxes != null ? "--box" : "--point"));
        }
        if (c.promptableTask() && !c.promptable().allClasses()) {
            return PromptableRuns.predict(c, inputs == null || inputs.isEmpty() ? List.of() : images(inputs), prompts,
                    boxes == null ? List.of() : boxes, points == null ? List.of() : points, weights.checkpoint,
                    weights.adapter, weights.forceBase, out,
                    new PrintStream(System.out, true, StandardCharsets.UTF_8));
        }
        if (prompts != null || boxes != null || points != null) {
            throw new IllegalArgumentException((prompts != null ? "--prompts" : boxes != null ? "--box" : "--point")
                    + " applies to task: promptable runs only");
        }
        List<Path> images = images(inputs);
        if (c.detects()) {
            return DetectionRuns.predict(c, images, weights.checkpoint, weights.adapter, weights.forceBase, out,
                    prompt, generation.generation(),
                    new PrintStream(System.out, true, StandardCharsets.UTF_8));
        }
        if (c.classifies()) {
            return ClassificationRuns.predict(c, images, weights.checkpoint, weights.adapter, weights.forceBase, out,
                    new PrintStream(System.out, true, StandardCharsets.UTF_8));
        }
        // Output names come from input file names; every one stays in its folder and replaces no input (--out may
        // be the images' own folder, or hold them in masks/).
        List<Path> read = new ArrayList<>(images);
        read.add(weights.checkpoint);
        InputFiles inputs = InputFiles.of(read);
        Map<Path, Path[]> targets = new HashMap<>();
        for (Path file : images) {
            Path[] t = {ContainedPath.resolve(out.resolve("masks"), stem(file), ".png", "image name"),
                ContainedPath.resolve(out.resolve("overlays"), stem(file), ".png", "image name")};
            for (Path target : t) {
                inputs.refuseOverwrite(target, "choose an --out folder whose masks/ and overlays/ hold no inputs");
            }
            targets.put(file, t);
        }
        List<Path> skipped = new ArrayList<>();
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Palette palette = RunData.palette(c.data());
        int fallback = c.data().classNames().size();
        try (NDManager m = EngineSetup.newManager()) {
            TrainedModel tm = weights.load(c, fallback, m);
            List<String> names = c.data().classNames().size() == tm.classes() ? c.data().classNames() : null;
            try (Predictor p = SegmentationNet.predictor(c, tm.model(), tileBatch, tiles.logitAdjust).build()) {
                console.println("Inference " + EvalCommand.inference(p));
                for (Path file : images) {
                    RgbImage image;
                    try {
                        image = ImageDecoder.readRgb(file);
                    } catch (DataException e) {
                        // One bad file in a folder should not cost the others their predictions.
                        System.err.println("warning: " + e.getMessage() + "; skipped");
                        skipped.add(file);
                        continue;
                    }
                    Prediction pr = p.predict(image);
                    Path[] t = targets.get(file);
                    ImageEncoder.writeIndexPng(pr.mask(), pr.width(), pr.height(), palette, t[0]);
                    ImageEncoder.writePng(Overlay.blend(image, pr.mask(), palette), t[1]);
                    console.println(file + " (" + pr.width() + "x" + pr.height() + "): " + shares(pr, tm.classes(),
                            names));
                }
            }
        }
        console.printf("%d images -> %s (masks/, overlays/)%n", images.size() - skipped.size(), out);
        if (!skipped.isEmpty()) {
            throw new DataException(null, skipped.size() + " of " + images.size() + " images skipped as unreadable ("
                    + skipped.get(0) + (skipped.size() > 1 ? " and " + (skipped.size() - 1) + " more, named above"
                            : "") + "); the other " + (images.size() - skipped.size()) + " were predicted");
        }
        return 0;
    }

    private int predictStream(RunConfig c) throws Exception {
        if (inputs != null && !inputs.isEmpty()) {
            throw new IllegalArgumentException("give either a stream (--video, --mjpeg, --camera) or images, not both");
        }
        PrintWriter console = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8),
                true);
        try (FrameSource source = StreamPredictCommand.openSource(video, null, mjpeg, camera, fps);
                NDManager m = EngineSetup.newManager()) {
            TrainedModel tm = weights.load(c, c.data().classNames().size(), m);
            List<String> names = c.data().classNames().size() == tm.classes() ? c.data().classNames()
                    : StreamPredictCommand.classNames(null, tm.classes());
            StreamPredictCommand.Outputs outputs = new StreamPredictCommand.Outputs(out, 4, false, true, true);
            if (c.data().crops()) {
                SlidingWindow w = RunTraining.slidingWindow(c.data(), c.model().imageSize(), tiles.batch());
                try (TiledFrameModel frameModel = new TiledFrameModel(tm.model(), w)) {
                    StreamPredictCommand.inspect(source, frameModel, 1, (frame, image) -> w.prepare(image), names,
                            RunData.palette(c.data()), outputs, console);
                }
            } else {
                try (ModuleFrameModel frameModel = new ModuleFrameModel(tm.model())) {
                    StreamPredictCommand.inspect(source, frameModel, 1, c.model().imageSize(), names,
                            RunData.palette(c.data()), outputs, console);
                }
            }
        }
        return 0;
    }

    /** The given run file, else the one a training run left beside the adapter or the checkpoint. */
    static RunConfig runConfig(ConfigOptions config, Path checkpoint, Path adapter) {
        return runConfig(config, checkpoint, adapter, List.of());
    }

    /** As above, with {@code named} overrides applied to the run file. */
    static RunConfig runConfig(ConfigOptions config, Path checkpoint, Path adapter, List<ConfigOverride> named) {
        if (config.config != null) {
            return config.resolve(named).config();
        }
        List<Path> candidates = new ArrayList<>();
        if (adapter != null) {
            candidates.add(adapter.toAbsolutePath().getParent().resolve(RunConfigFile.RESOLVED));
        }
        candidates.add(checkpoint.toAbsolutePath().getParent().resolve(RunConfigFile.RESOLVED));
        for (Path f : candidates) {
            if (Files.isRegularFile(f)) {
                config.config = f;
                return config.resolve(named).config();
            }
        }
        throw new IllegalArgumentException("which model is in " + checkpoint + "? No " + RunConfigFile.RESOLVED
                + " beside it" + (adapter == null ? "" : " or beside the adapter's run") + "; give the run file "
                + "with --config");
    }

    static List<Path> images(List<Path> inputs) throws IOException {
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("nothing to predict: give images, folders of images, --video FILE, "
                    + "--mjpeg FILE or --camera N");
        }
        List<Path> files = new ArrayList<>();
        for (Path in : inputs) {
            if (Files.isDirectory(in)) {
                try (Stream<Path> s = Files.list(in)) {
                    List<Path> found = s.filter(f -> Files.isRegularFile(f) && isImage(f)).sorted().toList();
                    if (found.isEmpty()) {
                        throw new IllegalArgumentException(in + ": no images in this folder (looked for "
                                + String.join(", ", IMAGE_EXTENSIONS) + ")");
                    }
                    files.addAll(found);
                }
            } else if (Files.isRegularFile(in)) {
                files.add(in);
            } else {
                throw new IllegalArgumentException(in + ": no such image or folder");
            }
        }
        Map<String, Path> byStem = new HashMap<>();
        for (Path f : files) {
            Path other = byStem.put(stem(f), f);
            if (other != null) {
                throw new IllegalArgumentException(f + " and " + other + " would both be written as " + stem(f)
                        + ".png; give them in separate runs with different --out folders");
            }
        }
        return files;
    }

    private static boolean isImage(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    static String stem(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static String shares(Prediction p, int classes, List<String> names) {
        long[] counts = p.classCounts(classes);
        StringBuilder sb = new StringBuilder();
        for (int k = 1; k < classes; k++) {
            if (counts[k] > 0) {
                sb.append(sb.length() == 0 ? "" : ", ").append(names == null ? "class " + k : names.get(k))
                        .append(String.format(Locale.ROOT, " %.2f %%", 100.0 * counts[k] / p.mask().length));
            }
        }
        return sb.length() == 0 ? "no defect" : sb.toString();
    }
}
