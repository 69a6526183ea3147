package ai.peft4j.serve;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TextPromptSource;
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
 * One base model with an adapter per product line, run by model workers that take requests from one bounded queue.
 * Each worker has a copy of the model of its own (the base and every line's adapter), and activates a request's
 * adapter right before its forward pass, so no request can see another line's adapter however many arrive at once;
 * switching takes microseconds (AdapterSet detaches and attaches modules and hooks, no weights are copied). A model
 * change (load, unload) takes every copy, waiting for the requests in progress, and changes them all.
 */
final class InspectionEngine implements AutoCloseable {
    /** Images per forward pass: a request's batch in passes of this many bounds the activations' memory. */
    static final int BATCH = 8;

    /** One worker's copy of the model: the base with every line's adapter, its predictor, requests it answered. */
    private record Replica(Module model, AdapterSet adapters, Predictor predictor,
            java.util.concurrent.atomic.AtomicLong served) {}

    private final NDManager manager;
    private final List<Replica> replicas = new ArrayList<>();
    /** The copies not in use; fair, so a model change waiting for every copy gets each as it comes back. */
    private final ArrayBlockingQueue<Replica> idle;
    private final int baseClasses;
    private final List<String> classNames;
    private final Palette palette;
    private final int inputSize;
    private final Path adapterRoot;
    private final ThreadPoolExecutor worker;
    private final Map<String, ProductLine> lines = new ConcurrentHashMap<>();
    private final DoubleConsumer switchSeconds;
    /** The BERT TP-LoRA lines must have been prompted by, and its fingerprint; null when not checked. */
    private final Path textEncoder;
    private final String textEncoderFingerprint;

    private InspectionEngine(ServeSettings s, RunConfig run, DoubleConsumer switchSeconds) throws IOException {
        this.switchSeconds = switchSeconds;
        this.adapterRoot = s.adapters();
        this.palette = extended(RunData.palette(run.data()));
        this.inputSize = run.model().imageSize();
        this.textEncoder = TextPromptSource.encoderOf(s.textEncoder(), run.method().options());
        // Read once: every TP-LoRA line loaded later is checked against it.
        this.textEncoderFingerprint = textEncoder == null ? null : TextPromptSource.fingerprint(textEncoder);
        this.manager = EngineSetup.newManager();
        int workers = s.workers();
        this.idle = new ArrayBlockingQueue<>(workers, true);
        try {
            int found = -1;
            for (int k = 0; k < workers; k++) {
                // Each copy reads the file itself: a copy must own its weights, which some methods change in place.
                Weights w = Weights.read(s.checkpoint(), manager);
                int fallback = run.data().classNames().size();
                found = w.classes() > 0 ? w.classes() : run.model().classes() > 0 ? run.model().classes() : fallback;
                Module model = SegmentationNet.build(run.model(), found, manager);
                SegmentationNet.loadStrict(model, w);
                // As eval and predict: sliding windows for a base trained on crops, else the letterbox.
                Replica r = new Replica(model, new AdapterSet(model),
                        SegmentationNet.predictor(run, model, SegmentationNet.TILE_BATCH).build(),
                        new java.util.concurrent.atomic.AtomicLong());
                replicas.add(r);
                idle.add(r);
            }
            baseClasses = found;
            classNames = run.data().classNames().size() == baseClasses ? List.copyOf(run.data().classNames())
                    : numbered(baseClasses);
        } catch (IOException | RuntimeException e) {
            replicas.forEach(r -> r.predictor().close());
            manager.close();
            throw e;
        }
        // As many workers as copies: a worker always finds a copy idle, but for a model change that holds them.
        worker = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(s.queue()),
                new java.util.concurrent.ThreadFactory() {
                    private final java.util.concurrent.atomic.AtomicInteger n =
                            new java.util.concurrent.atomic.AtomicInteger();

                    @Override
                    public Thread newThread(Runnable r) {
                        Thread t = new Thread(r, "peft4j-model-worker-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    }
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
        int n = manager.getManagedArrays().size();
        for (Replica r : replicas) {
            n += r.predictor().liveArrays();
        }
        return n;
    }

    /** The model workers, each with a copy of the model. */
    int workers() {
        return replicas.size();
    }

    /** Inspection requests each copy of the model has answered. */
    long[] served() {
        return replicas.stream().mapToLong(r -> r.served().get()).toArray();
    }

    /** Takes every copy of the model (waiting for the requests that use them), for a change to all. */
    private List<Replica> takeAll() throws InterruptedException {
        List<Replica> all = new ArrayList<>();
        try {
            while (all.size() < replicas.size()) {
                all.add(idle.take());
            }
        } catch (InterruptedException e) {
            idle.addAll(all);
            throw e;
        }
        return all;
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

    /** On a worker: loads the adapter directory {@code dir} as line {@code name} onto every copy of the model. */
    ProductLine loadLine(String name, Path dir) throws IOException, InterruptedException {
        if (textEncoder != null) {
            TextPromptSource.checkAdapter(dir, textEncoder, textEncoderFingerprint);
        }
        long t0 = System.nanoTime();
        List<Replica> all = takeAll();
        List<Replica> done = new ArrayList<>();
        try {
            // Asked while holding every copy: two loads of one name on two workers cannot both pass.
            if (lines.containsKey(name)) {
                throw new ApiException(409, "line '" + name + "' is already loaded; unload it first (DELETE "
                        + "/v1/lines/" + name + ")");
            }
            Attachment a = null;
            for (Replica r : all) {
                // The file's tensors are copied into the adapter's parameters: they go with this manager.
                try (NDManager file = manager.newSubManager()) {
                    a = r.adapters().load(name, dir, file, AdapterFiles.LoadOptions.defaults());
                }
                done.add(r);
            }
            long trainable = all.get(0).model().trainableParameterCount();
            int classes = a.method() instanceof SegmenterMethod sm && sm.classes() > 0 ? sm.classes() : baseClasses;
            List<String> names = classes == baseClasses ? classNames : numbered(classes);
            ProductLine line = new ProductLine(name, a.method().name(), trainable, a.baseFingerprint(), names,
                    (System.nanoTime() - t0) / 1e6);
            lines.put(name, line);
            return line;
        } catch (IOException | RuntimeException e) {
            // All or none: the copies that took the adapter drop it again.
            done.forEach(r -> r.adapters().remove(name));
            throw e;
        } finally {
            idle.addAll(all);
        }
    }

    /** On a worker: takes line {@code name}'s adapter off every copy of the model. */
    ProductLine unloadLine(String name) throws InterruptedException {
        List<Replica> all = takeAll();
        try {
            ProductLine line = lines.remove(name);
            if (line == null) {
                throw new ApiException(404, "no line '" + name + "' is loaded (loaded: "
                        + new TreeMap<>(lines).keySet() + ")");
            }
            all.forEach(r -> r.adapters().remove(name));
            return line;
        } finally {
            idle.addAll(all);
        }
    }

    /**
     * On the worker: the images through line {@code name}'s adapter, up to {@link #BATCH} in one forward pass
     * (each letterboxed, cropped and resized back on its own), or, for a base trained on crops, each by its sliding
     * windows; the tensors of a pass live in a per-call manager
     * closed before it returns.
     *
     * @return the inspections and the adapter switch time in milliseconds
     */
    Result inspect(String name, List<String> imageNames, List<RgbImage> images) throws InterruptedException {
        // The line is looked up holding a copy: a load or unload holds every copy while it changes the lines, so
        // a line found here is on this copy until the request gives the copy back.
        Replica r = idle.take();
        List<Prediction> predictions = new ArrayList<>();
        double switchMs;
        ProductLine line;
        try {
            line = lines.get(name);
            if (line == null) {
                throw new ApiException(404, unknownLine(name));
            }
            long t0 = System.nanoTime();
            r.adapters().activate(name);
            // Modules an adapter put back may still be in training mode (dropout): predictions are in eval mode.
            r.model().eval();
            switchMs = (System.nanoTime() - t0) / 1e6;
            for (int from = 0; from < images.size(); from += BATCH) {
                predictions.addAll(r.predictor().predictAll(images.subList(from, Math.min(images.size(),
                        from + BATCH))));
            }
            r.served().incrementAndGet();
        } finally {
            idle.add(r);
        }
        switchSeconds.accept(switchMs / 1000);
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

    private Void warmUp() throws InterruptedException {
        RgbImage grey = RgbImage.filled(inputSize, inputSize, 128, 128, 128);
        List<Replica> all = takeAll();
        try {
            for (Replica r : all) {
                for (String name : lines.keySet()) {
                    r.adapters().activate(name);
                    r.model().eval();
                    r.predictor().predict(grey);
                }
                if (lines.isEmpty()) {
                    r.predictor().predict(grey);
                }
            }
        } finally {
            idle.addAll(all);
        }
        return null;
    }

    /**
     * The run file's palette with the VOC colours after its end: an adapter with more classes than the base (the
     * transfer benchmark's magnetic-tile heads on a NEU-Seg base) shows every class, none in black.
     */
    static Palette extended(Palette p) {
        List<Palette.Colour> colours = new ArrayList<>(p.colours());
        List<Palette.Colour> voc = Palette.voc().colours();
        for (int i = colours.size(); i < voc.size(); i++) {
            colours.add(voc.get(i));
        }
        return new Palette(colours);
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
        replicas.forEach(r -> r.predictor().close());
        manager.close();
    }
}
