package ai.peft4j.serve;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.infer.stats.ClassMap;
import ai.peft4j.infer.stats.FrameStats;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.AdapterSet;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;
import java.util.stream.Stream;

/**
 * One base model with an adapter per product line, used by a single worker thread that takes requests from a
 * bounded queue. The worker activates a request's adapter right before its forward pass, so no request can see
 * another line's adapter however many arrive at once; switching takes microseconds (AdapterSet detaches and
 * attaches modules and hooks, no weights are copied). Every model change (load, unload) runs on the same worker.
 */
final class InspectionEngine implements AutoCloseable {
    /** Images per forward pass: a request's batch in passes of this many bounds the activations' memory. */
    static final int BATCH = 8;

    private final NDManager manager;
    private final Module model;
    private final AdapterSet adapters;
    private final Predictor predictor;
    private final int baseClasses;
    private final List<String> classNames;
    private final Palette palette;
    private final int inputSize;
    private final Path adapterRoot;
    private final ThreadPoolExecutor worker;
    private final Map<String, ProductLine> lines = new ConcurrentHashMap<>();
    private final DoubleConsumer switchSeconds;

    private InspectionEngine(ServeSettings s, RunConfig run, DoubleConsumer switchSeconds) throws IOException {
        this.switchSeconds = switchSeconds;
        this.adapterRoot = s.adapters();
        this.palette = RunData.palette(run.data());
        this.inputSize = run.model().imageSize();
        this.manager = EngineSetup.newManager();
        try {
            Weights w = Weights.read(s.checkpoint(), manager);
            int fallback = run.data().classNames().size();
            baseClasses = w.classes() > 0 ? w.classes() : run.model().classes() > 0 ? run.model().classes()
                    : fallback;
            model = SegmentationNet.build(run.model(), baseClasses, manager);
            SegmentationNet.loadStrict(model, w);
            classNames = run.data().classNames().size() == baseClasses ? List.copyOf(run.data().classNames())
                    : numbered(baseClasses);
            adapters = new AdapterSet(model);
            predictor = Predictor.builder().setModel(SegmentationNet.layer(model)).setInputSize(inputSize).build();
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
        // One worker: the model is one tree of modules, and activating an adapter changes it for every caller.
        worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(s.queue()),
                r -> {
                    Thread t = new Thread(r, "peft4j-model-worker");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    /**
     * Loads the base model of {@code s} and every adapter folder under {@code s.adapters()}, then runs each line
     * once so the first request does not pay for warm-up. A folder that is no adapter for this base is left out
     * with a warning on {@code warnings}.
     */
    static InspectionEngine load(ServeSettings s, DoubleConsumer switchSeconds, List<String> warnings)
            throws Exception {
        if (s.checkpoint() == null) {
            throw new IllegalArgumentException("which base model? Give checkpoint (--checkpoint FILE)");
        }
        if (s.config() == null) {
            throw new IllegalArgumentException("which architecture is in " + s.checkpoint() + "? Give the run file "
                    + "that trained it (--config FILE, e.g. the config.yaml beside the checkpoint)");
        }
        RunConfig run = RunConfigFile.read(s.config(), List.of()).config();
        InspectionEngine e = new InspectionEngine(s, run, switchSeconds);
        try {
            if (s.adapters() != null) {
                if (!Files.isDirectory(s.adapters())) {
                    throw new IllegalArgumentException(s.adapters() + ": adapters folder not found (one sub-folder "
                            + "per product line, each an adapter directory of 'peft4j finetune')");
                }
                List<Path> dirs;
                try (Stream<Path> list = Files.list(s.adapters())) {
                    dirs = list.filter(Files::isDirectory).sorted().toList();
                }
                for (Path dir : dirs) {
                    String name = dir.getFileName().toString();
                    if (!LineName.isPlain(name)) {
                        warnings.add(dir + ": skipped, '" + name + "' is not a plain line name");
                        continue;
                    }
                    Path adapter = adapterIn(dir);
                    if (adapter == null) {
                        warnings.add(dir + ": skipped, no " + AdapterFiles.CONFIG + " in it or in its adapter/");
                        continue;
                    }
                    try {
                        e.call(() -> e.loadLine(name, adapter)).get();
                    } catch (java.util.concurrent.ExecutionException ex) {
                        warnings.add(ex.getCause().getMessage() + " (line '" + name + "' skipped)");
                    }
                }
            }
            e.call(e::warmUp).get();
            return e;
        } catch (Exception ex) {
            e.close();
            throw ex;
        }
    }

    /**
     * The adapter directory of a line's folder: the folder itself, or its {@code adapter/} as a finetune run
     * folder and the transfer benchmark's method folders hold it; null when neither is one.
     */
    static Path adapterIn(Path lineDir) {
        for (Path d : new Path[] {lineDir, lineDir.resolve("adapter")}) {
            if (Files.isRegularFile(d.resolve(AdapterFiles.CONFIG))) {
                return d;
            }
        }
        return null;
    }

    /** Runs {@code task} on the model worker; refused at once when the queue is full. */
    <T> Future<T> call(Callable<T> task) {
        try {
            return worker.submit(task);
        } catch (RejectedExecutionException ex) {
            throw new ApiException(429, "busy: " + worker.getQueue().size() + " requests are waiting for the model "
                    + "(queue limit); try again in a moment", "1");
        }
    }

    /** Gives up a task: one still waiting leaves the queue at once, so it holds no place there. */
    void cancel(Future<?> task) {
        task.cancel(false);
        worker.purge();
    }

    int queueDepth() {
        return worker.getQueue().size();
    }

    /** Engine arrays alive: the base, the adapters and nothing of finished requests. */
    int liveArrays() {
        return manager.getManagedArrays().size() + predictor.liveArrays();
    }

    List<ProductLine> lines() {
        return List.copyOf(new TreeMap<>(lines).values());
    }

    ProductLine line(String name) {
        return lines.get(name);
    }

    Palette palette() {
        return palette;
    }

    List<String> baseClassNames() {
        return classNames;
    }

    Path adapterRoot() {
        return adapterRoot;
    }

    /** On the worker: loads the adapter directory {@code dir} as line {@code name}. */
    ProductLine loadLine(String name, Path dir) throws IOException {
        if (lines.containsKey(name)) {
            throw new ApiException(409, "line '" + name + "' is already loaded; unload it first (DELETE "
                    + "/v1/lines/" + name + ")");
        }
        long t0 = System.nanoTime();
        Attachment a;
        // The file's tensors are copied into the adapter's parameters: they go with this manager.
        try (NDManager file = manager.newSubManager()) {
            a = adapters.load(name, dir, file, AdapterFiles.LoadOptions.defaults());
        }
        long trainable = model.trainableParameterCount();
        int classes = a.method() instanceof SegmenterMethod sm && sm.classes() > 0 ? sm.classes() : baseClasses;
        List<String> names = classes == baseClasses ? classNames : numbered(classes);
        ProductLine line = new ProductLine(name, a.method().name(), trainable, a.baseFingerprint(), names,
                (System.nanoTime() - t0) / 1e6);
        lines.put(name, line);
        return line;
    }

    /** On the worker: takes line {@code name}'s adapter off the base model. */
    ProductLine unloadLine(String name) {
        ProductLine line = lines.remove(name);
        if (line == null) {
            throw new ApiException(404, "no line '" + name + "' is loaded (loaded: " + new TreeMap<>(lines).keySet()
                    + ")");
        }
        adapters.remove(name);
        return line;
    }

    /**
     * On the worker: the images through line {@code name}'s adapter, up to {@link #BATCH} in one forward pass
     * (each letterboxed, cropped and resized back on its own); the tensors of a pass live in a per-call manager
     * closed before it returns.
     *
     * @return the inspections and the adapter switch time in milliseconds
     */
    Result inspect(String name, List<String> imageNames, List<RgbImage> images) {
        ProductLine line = lines.get(name);
        if (line == null) {
            throw new ApiException(404, unknownLine(name));
        }
        long t0 = System.nanoTime();
        adapters.activate(name);
        // Modules an adapter put back may still be in training mode (dropout): predictions are in eval mode.
        model.eval();
        double switchMs = (System.nanoTime() - t0) / 1e6;
        switchSeconds.accept(switchMs / 1000);
        List<Prediction> predictions = new ArrayList<>();
        for (int from = 0; from < images.size(); from += BATCH) {
            predictions.addAll(predictor.predictAll(images.subList(from, Math.min(images.size(), from + BATCH))));
        }
        List<Inspection> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Prediction p = predictions.get(i);
            FrameStats stats = FrameStats.of(i, imageNames.get(i), 0, new ClassMap(p.width(), p.height(), p.mask()),
                    line.classes());
            out.add(new Inspection(imageNames.get(i), images.get(i), p.mask(), stats));
        }
        return new Result(line, out, switchMs);
    }

    String unknownLine(String name) {
        return "unknown line '" + name + "'; loaded lines: " + new TreeMap<>(lines).keySet() + " (load one from "
                + "the adapters folder with POST /v1/lines/NAME)";
    }

    /** What one inspection request gave. */
    record Result(ProductLine line, List<Inspection> inspections, double switchMs) {}

    private Void warmUp() {
        RgbImage grey = RgbImage.filled(inputSize, inputSize, 128, 128, 128);
        for (String name : lines.keySet()) {
            adapters.activate(name);
            model.eval();
            predictor.predict(grey);
        }
        if (lines.isEmpty()) {
            predictor.predict(grey);
        }
        return null;
    }

    private static List<String> numbered(int classes) {
        List<String> out = new ArrayList<>();
        out.add("background");
        for (int k = 1; k < classes; k++) {
            out.add("class " + k);
        }
        return List.copyOf(out);
    }

    /** Finishes the queued and running requests, then frees the model. */
    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(60, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        predictor.close();
        manager.close();
    }
}
