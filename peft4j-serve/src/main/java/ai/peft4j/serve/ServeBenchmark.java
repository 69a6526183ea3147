package ai.peft4j.serve;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.peft.AdapterSet;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The measurements of {@code peft4j bench serve}: the same images through a direct {@link Predictor} call and
 * through the inspection service's HTTP API, on one line and alternating between two lines, with every answer
 * checked against the direct call's class counts.
 */
final class ServeBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Latencies are recorded in microseconds, up to ten minutes, to three significant digits. */
    private static final long MAX_MICROS = 600_000_000L;

    /** One image as sent: its file name, encoded bytes and content type, and its pixels for the direct call. */
    record Image(String name, byte[] bytes, String type, RgbImage pixels) {}

    /**
     * One row of the table.
     *
     * @param scenario what was sent: {@code direct}, {@code one-line} or {@code alternating}
     * @param lines the lines asked for, in turn
     * @param clients requests in flight at once
     * @param requests timed requests (calls for the direct row)
     * @param errors answers other than 200 (each counts, none is timed)
     * @param wrongAnswers 200 answers whose line or class counts differ from the direct call's for that line
     * @param seconds wall time of the timed requests
     * @param latencyMs client-side latency: p50, p95, p99, max
     * @param switchMs the service's own adapter activation time: p50, p99, max (NaN for the direct row)
     */
    record Row(String scenario, List<String> lines, int clients, int requests, int errors, int wrongAnswers,
            double seconds, double[] latencyMs, double[] switchMs) {
        double perSecond() {
            return (requests - errors) / seconds;
        }
    }

    /** A base model and its adapters folder, and how they came about. */
    record Model(Path checkpoint, Path config, Path adapters, String description) {}

    private ServeBenchmark() {}

    /**
     * Writes a freshly initialised small Swin-Att-UNet (the demo's and transfer benchmark's size: Swin embed 32,
     * depths 2-2-2-2, UNet base 16) into {@code dir} with two LoRA adapters whose weights are drawn at random, so
     * the two lines answer differently.
     */
    static Model freshModel(Path dir, int size, List<String> classNames) throws IOException {
        Path checkpoint = dir.resolve("base.safetensors");
        Path runFile = dir.resolve("run.yaml");
        Path adapters = dir.resolve("adapters");
        Files.createDirectories(dir);
        StringBuilder names = new StringBuilder();
        for (String n : classNames) {
            names.append(names.length() == 0 ? "" : ", ").append(n);
        }
        Files.writeString(runFile, """
                model:
                  name: swin-att-unet
                  backbone: swin-fixture
                  classes: %d
                  image_size: %d
                data:
                  layout: voc
                  root: %s
                  class_names: [%s]
                output: %s
                """.formatted(classNames.size(), size, dir.resolve("data"), names, dir.resolve("runs")));
        ModelSection section = new ModelSection("swin-att-unet", "swin-fixture", classNames.size(), size, null);
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(0);
            Module base = SegmentationNet.build(section, classNames.size(), m);
            SafetensorsFile.write(checkpoint, base.stateDict(), Map.of());
            randomLora(base, adapters.resolve("line-a"), 1, classNames.size(), m);
            randomLora(base, adapters.resolve("line-b"), 2, classNames.size(), m);
        }
        return new Model(checkpoint, runFile, adapters, String.format(Locale.ROOT, "a freshly initialised small "
                + "Swin-Att-UNet (swin-fixture, %dx%d, %d classes, seed 0) with two LoRA adapters drawn at random "
                + "(line-a, line-b)", size, size, classNames.size()));
    }

    /** LoRA with every added weight drawn from N(0, 0.05^2), the head left as the base's. */
    private static void randomLora(Module base, Path dir, long seed, int classes, NDManager m) throws IOException {
        Attachment a = MethodRegistry.create("lora", MethodInputs.none()).attach(base);
        Random r = new Random(seed);
        a.stateDict().forEach((k, t) -> {
            if (t.getShape().get(0) == classes) {
                return;
            }
            float[] v = new float[(int) t.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * 0.05);
            }
            base.namedParameters().get(k).replace(m.create(v, t.getShape()));
        });
        AdapterFiles.save(a, dir);
        a.deactivate();
    }

    /** The first {@code count} images of {@code folder} in name order (JPEG, PNG, BMP). */
    static List<Image> images(Path folder, int count) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": images folder not found");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> type(p) != null && Files.isRegularFile(p)).sorted().limit(count).toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(folder + ": no .jpg, .jpeg, .png or .bmp images in it");
        }
        List<Image> out = new ArrayList<>();
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            out.add(new Image(f.getFileName().toString(), bytes, type(f), ImageDecoder.readRgb(bytes, f)));
        }
        return out;
    }

    private static String type(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") ? "image/jpeg" : n.endsWith(".png") ? "image/png"
                : n.endsWith(".bmp") ? "image/bmp" : null;
    }

    /** The direct call's timings on line {@code lines.get(0)}, and each line's class counts per image. */
    record Direct(Row row, Map<String, long[][]> counts) {}

    /**
     * Times {@code requests} direct {@link Predictor} calls on the first line's adapter over the images in turn,
     * after {@code warmup} untimed ones, on a model of its own (loaded as the service loads it); then takes every
     * line's class counts per image, the answers the service must give.
     */
    static Direct direct(Model model, List<String> lines, List<Image> images, int warmup, int requests)
            throws IOException {
        RunConfig run = RunConfigFile.read(model.config(), List.of()).config();
        try (NDManager m = EngineSetup.newManager()) {
            Weights w = Weights.read(model.checkpoint(), m);
            int classes = w.classes() > 0 ? w.classes() : run.model().classes() > 0 ? run.model().classes()
                    : run.data().classNames().size();
            Module net = SegmentationNet.build(run.model(), classes, m);
            SegmentationNet.loadStrict(net, w);
            AdapterSet set = new AdapterSet(net);
            Map<String, Integer> lineClasses = new java.util.HashMap<>();
            for (String line : lines) {
                try (NDManager file = m.newSubManager()) {
                    Attachment a = set.load(line, InspectionEngine.adapterIn(model.adapters().resolve(line)), file);
                    lineClasses.put(line, a.method() instanceof ai.peft4j.peft.segmenter.SegmenterMethod sm
                            && sm.classes() > 0 ? sm.classes() : classes);
                }
            }
            try (Predictor p = SegmentationNet.predictor(run, net, SegmentationNet.TILE_BATCH).build()) {
                set.activate(lines.get(0));
                net.eval();
                for (int i = 0; i < warmup; i++) {
                    p.predict(images.get(i % images.size()).pixels());
                }
                Histogram h = new Histogram(MAX_MICROS, 3);
                long t0 = System.nanoTime();
                for (int i = 0; i < requests; i++) {
                    long s = System.nanoTime();
                    p.predict(images.get(i % images.size()).pixels());
                    h.recordValue(Math.max(1, (System.nanoTime() - s) / 1000));
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                Map<String, long[][]> counts = new java.util.TreeMap<>();
                for (String line : lines) {
                    set.activate(line);
                    net.eval();
                    long[][] c = new long[images.size()][];
                    for (int i = 0; i < images.size(); i++) {
                        Prediction pr = p.predict(images.get(i).pixels());
                        c[i] = pr.classCounts(lineClasses.get(line));
                    }
                    counts.put(line, c);
                }
                double[] nan = {Double.NaN, Double.NaN, Double.NaN};
                return new Direct(new Row("direct", List.of(lines.get(0)), 1, requests, 0, 0, seconds,
                        percentiles(h), nan), counts);
            }
        }
    }

    /**
     * Sends {@code warmup} untimed then {@code requests} timed inspections from {@code clients} threads, request
     * {@code i} carrying image {@code i mod images} to line {@code lines[i mod lines]}, each on its own connection
     * pool's keep-alive connection; checks every 200 answer's line and class counts against {@code expected}.
     */
    static Row http(String scenario, int port, List<String> lines, List<Image> images, int clients, int warmup,
            int requests, Map<String, long[][]> expected) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        ExecutorService pool = Executors.newFixedThreadPool(clients, r -> {
            Thread t = new Thread(r, "bench-serve-client");
            t.setDaemon(true);
            return t;
        });
        try {
            fire(client, pool, port, lines, images, clients, warmup, null, null, expected);
            Histogram latency = new ConcurrentHistogram(MAX_MICROS, 3);
            Histogram switches = new ConcurrentHistogram(MAX_MICROS, 3);
            long t0 = System.nanoTime();
            int[] bad = fire(client, pool, port, lines, images, clients, requests, latency, switches, expected);
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Row(scenario, lines, clients, requests, bad[0], bad[1], seconds, percentiles(latency),
                    switchPercentiles(switches));
        } finally {
            pool.shutdownNow();
        }
    }

    /** Sends {@code n} requests; returns errors and wrong answers. */
    private static int[] fire(HttpClient client, ExecutorService pool, int port, List<String> lines,
            List<Image> images, int clients, int n, Histogram latency, Histogram switches,
            Map<String, long[][]> expected) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger wrong = new AtomicInteger();
        AtomicLong firstError = new AtomicLong(-1);
        String[] firstMessage = new String[1];
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            running.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    String line = lines.get(i % lines.size());
                    int k = i % images.size();
                    Image img = images.get(k);
                    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/v1/inspect?line=" + line)).header("Content-Type", img.type())
                            .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.ofByteArray(img.bytes()))
                            .build();
                    long s = System.nanoTime();
                    HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                    long micros = Math.max(1, (System.nanoTime() - s) / 1000);
                    if (r.statusCode() != 200) {
                        errors.incrementAndGet();
                        if (firstError.compareAndSet(-1, i)) {
                            firstMessage[0] = r.statusCode() + " " + r.body();
                        }
                        continue;
                    }
                    JsonNode body = JSON.readTree(r.body());
                    if (!line.equals(body.path("line").asText()) || !Arrays.equals(expected.get(line)[k],
                            pixels(body.path("images").path(0).path("classes")))) {
                        wrong.incrementAndGet();
                    }
                    if (latency != null) {
                        latency.recordValue(micros);
                        switches.recordValue(Math.max(0, Math.round(body.path("switch_ms").asDouble() * 1000)));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : running) {
            f.get();
        }
        if (n > 0 && errors.get() == n) {
            throw new IllegalStateException("every request to the service failed; the first answer: "
                    + firstMessage[0]);
        }
        return new int[] {errors.get(), wrong.get()};
    }

    private static long[] pixels(JsonNode classes) {
        long[] out = new long[classes.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = classes.get(c).path("pixels").asLong(-1);
        }
        return out;
    }

    /** p50, p95, p99 and max in milliseconds. */
    private static double[] percentiles(Histogram h) {
        return new double[] {h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(95) / 1e3,
            h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3};
    }

    /** p50, p99 and max in milliseconds. */
    private static double[] switchPercentiles(Histogram h) {
        return new double[] {h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
            h.getMaxValue() / 1e3};
    }

    /** This process's resident memory in MiB (Linux), or NaN where /proc is missing. */
    static double residentMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
