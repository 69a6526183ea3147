package ai.peft4j.serve;

import ai.peft4j.core.state.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j bench serve}: throughput, latency and adapter switch cost of the inspection service. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Starts the inspection service in this process on 127.0.0.1 (a free port) and sends it real "
                + "images through its HTTP API (raw bodies, one image per request) from several clients at once: "
                + "on one line, then alternating between two lines' adapters. Reports requests per second, p50, "
                + "p95 and p99 latency as the clients see it, the service's adapter switch time, and the same "
                + "images through a direct Predictor call on a model of its own (the service's overhead).",
            "Every answer is checked against the direct call's class counts for its line; resident memory and the "
                + "engine's live arrays are taken before and after the timed requests.",
            "Without --checkpoint the model is a freshly initialised small Swin-Att-UNet with two LoRA adapters "
                + "drawn at random, written to a temporary folder that is removed at the end (speed does not "
                + "depend on the weights)."})
final class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "CKPT", description = "The base model's weights (default: a "
            + "freshly initialised small Swin-Att-UNet).")
    Path checkpoint;

    @Option(names = "--config", paramLabel = "FILE", description = "The run file of the base model, as for "
            + "'peft4j serve' (with --checkpoint).")
    Path config;

    @Option(names = "--adapters", paramLabel = "DIR", description = "Folder with one adapter folder per line, as "
            + "for 'peft4j serve' (with --checkpoint; at least two lines).")
    Path adapters;

    @Option(names = "--lines", split = ",", paramLabel = "A,B[,C...]", description = "Two lines or more: the first "
            + "is the one-line rows' and the direct call's, the alternating row takes them in turn (default: the "
            + "first two loaded, in name order).")
    List<String> lines;

    @Option(names = "--images", paramLabel = "DIR", description = "Folder of images, sent in name order (default: "
            + "../shared/data/neu-seg/JPEGImages).")
    Path images;

    @Option(names = "--count", defaultValue = "16", description = "Images of the folder used, in turn (default: "
            + "${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--clients", defaultValue = "8", description = "Requests in flight at once (default: "
            + "${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--requests", defaultValue = "200", description = "Timed requests per row (default: "
            + "${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--warmup", defaultValue = "16", description = "Untimed requests before each row (default: "
            + "${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--workers", defaultValue = "1", description = "The service's model workers, each with a copy "
            + "of the model (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--repeats", defaultValue = "2", description = "Rounds of the four rows, taking turns; each "
            + "row reports its fastest round, the rate the machine gives when nothing else takes it (default: "
            + "${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--size", defaultValue = "112", description = "Input side of the freshly initialised model, a "
            + "multiple of 16 (default: ${DEFAULT-VALUE}; ignored with --checkpoint).")
    int size;

    @Option(names = "--json", defaultValue = "runs/bench/serve.json", description = "(default: ${DEFAULT-VALUE})")
    Path json;

    @Option(names = "--markdown", defaultValue = "runs/bench/serve.md", description = "(default: ${DEFAULT-VALUE})")
    Path markdown;

    private int requestsSent;
    private int errorsSeen;
    private int wrongSeen;

    @Override
    public Integer call() throws Exception {
        check();
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Path folder = images != null ? images : Path.of("../shared/data/neu-seg/JPEGImages");
        List<ServeBenchmark.Image> pictures = ServeBenchmark.images(folder, count);
        Path work = checkpoint == null ? Files.createTempDirectory("peft4j-bench-serve") : null;
        try {
            ServeBenchmark.Model model = checkpoint != null
                    ? new ServeBenchmark.Model(checkpoint, config, adapters, "the checkpoint " + checkpoint
                            + " (run file " + config + ") with the adapters of " + adapters)
                    : ServeBenchmark.freshModel(work, size, List.of("background", "inclusion", "patches",
                            "scratches"));
            console.println("Model: " + model.description());
            console.printf(Locale.ROOT, "Images: %d from %s%n", pictures.size(), folder);
            run(model, pictures, folder, console);
        } finally {
            if (work != null) {
                AdapterZip.deleteTree(work);
            }
        }
        console.println();
        console.print(Files.readString(markdown));
        return 0;
    }

    private void check() {
        if (checkpoint == null && (config != null || adapters != null)) {
            throw new IllegalArgumentException("--config and --adapters describe the model of --checkpoint; give "
                    + "all three, or none for a freshly initialised model");
        }
        if (checkpoint != null && (config == null || adapters == null)) {
            throw new IllegalArgumentException("with --checkpoint give its run file (--config FILE) and the "
                    + "adapters folder (--adapters DIR, two lines at least)");
        }
        if (checkpoint != null && !Files.isRegularFile(checkpoint)) {
            throw new IllegalArgumentException(checkpoint + ": checkpoint not found");
        }
        if (lines != null && (lines.size() < 2 || lines.stream().distinct().count() != lines.size())) {
            throw new IllegalArgumentException("--lines takes two different lines or more, e.g. --lines "
                    + "lora,adapter; got " + lines);
        }
        for (var e : new Object[][] {{"--count", count, 1}, {"--clients", clients, 1}, {"--requests", requests, 1},
            {"--warmup", warmup, 0}, {"--repeats", repeats, 1},
            {"--workers", workers, 1}}) {
            if ((int) e[1] < (int) e[2]) {
                throw new IllegalArgumentException(e[0] + " must be at least " + e[2] + ", got " + e[1]);
            }
        }
        if (size < 16 || size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a positive multiple of 16, got " + size);
        }
    }

    private void run(ServeBenchmark.Model model, List<ServeBenchmark.Image> pictures, Path folder,
            PrintStream console) throws Exception {
        ServeSettings settings = new ServeSettings(model.checkpoint(), model.config(), model.adapters(), null, 0,
                Math.max(ServeSettings.DEFAULT_QUEUE, clients), 600_000L, null, null, null, null, null, null, workers);
        List<String> warnings = new ArrayList<>();
        List<ServeBenchmark.Row> rows = new ArrayList<>();
        double rssBefore;
        double rssAfter;
        int arraysBefore;
        int arraysAfter;
        List<String> chosen;
        try (InspectionServer server = InspectionServer.start(settings, warnings)) {
            server.awaitReady();
            warnings.forEach(w -> console.println("warning: " + w));
            List<String> loaded = server.engine().lines().stream().map(ProductLine::name).toList();
            chosen = lines != null ? lines : loaded.size() >= 2 ? loaded.subList(0, 2) : null;
            if (chosen == null) {
                throw new IllegalArgumentException(model.adapters() + ": the benchmark needs two lines, the "
                        + "service loaded " + loaded.size() + " " + loaded);
            }
            for (String l : chosen) {
                if (!loaded.contains(l)) {
                    throw new IllegalArgumentException("--lines names '" + l + "', which the service did not load "
                            + "from " + model.adapters() + " (loaded: " + loaded + ")");
                }
            }
            console.printf(Locale.ROOT, "Lines %s; %d timed requests per row after %d warm-up, %d round(s)%n",
                    chosen, requests, warmup, repeats);
            int port = server.port();
            List<String> one = List.of(chosen.get(0));
            ServeBenchmark.Row[] best = new ServeBenchmark.Row[4];
            rssBefore = Double.NaN;
            arraysBefore = -1;
            for (int round = 0; round < repeats; round++) {
                ServeBenchmark.Direct direct = ServeBenchmark.direct(model, chosen, pictures, warmup, requests);
                if (round == 0) {
                    rssBefore = ServeBenchmark.residentMb();
                    arraysBefore = server.engine().liveArrays();
                }
                ServeBenchmark.Row[] got = {direct.row(),
                    ServeBenchmark.http("one-line", port, one, pictures, 1, warmup, requests, direct.counts()),
                    ServeBenchmark.http("one-line", port, one, pictures, clients, warmup, requests,
                            direct.counts()),
                    ServeBenchmark.http("alternating", port, chosen, pictures, clients, warmup, requests,
                            direct.counts())};
                for (int k = 0; k < got.length; k++) {
                    print(console, got[k]);
                    best[k] = best[k] == null || got[k].perSecond() > best[k].perSecond() ? got[k] : best[k];
                    requestsSent += got[k].requests();
                    errorsSeen += got[k].errors();
                    wrongSeen += got[k].wrongAnswers();
                }
            }
            rows.addAll(List.of(best));
            rssAfter = ServeBenchmark.residentMb();
            arraysAfter = server.engine().liveArrays();
        }
        write(model, folder, pictures, chosen, rows, rssBefore, rssAfter, arraysBefore, arraysAfter);
    }

    private static ServeBenchmark.Row print(PrintStream console, ServeBenchmark.Row r) {
        console.printf(Locale.ROOT, "  %-12s %-22s %2d clients: %8.1f requests/s, p50 %8.2f ms, p99 %8.2f ms, "
                + "%d errors, %d wrong answers%n", r.scenario(), String.join(",", r.lines()), r.clients(),
                r.perSecond(), r.latencyMs()[0], r.latencyMs()[2], r.errors(), r.wrongAnswers());
        return r;
    }

    private void write(ServeBenchmark.Model model, Path folder, List<ServeBenchmark.Image> pictures,
            List<String> chosen, List<ServeBenchmark.Row> rows, double rssBefore, double rssAfter, int arraysBefore,
            int arraysAfter) throws IOException {
        ServeBenchmark.Row direct = rows.get(0);
        ServeBenchmark.Row serial = rows.get(1);
        ServeBenchmark.Row oneLine = rows.get(2);
        ServeBenchmark.Row alternating = rows.get(3);
        int cores = Runtime.getRuntime().availableProcessors();
        String when = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm",
                Locale.ROOT));
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("date_utc", when).put("cores", cores).put("model", model.description())
                .put("images_folder", folder.toString()).put("images", pictures.size()).put("clients", clients)
                .put("requests", requests).put("warmup", warmup).put("workers", workers);
        ArrayNode lineNames = root.putArray("lines");
        chosen.forEach(lineNames::add);
        ArrayNode jsonRows = root.putArray("rows");
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "`peft4j bench serve` on %s UTC, %d cores: "
                + "%s; %d model worker(s); %d images from `%s`, %d timed requests per row after %d warm-up, one image "
                + "per request (raw body) over HTTP/1.1 on 127.0.0.1; latency as the clients see it.%n%n", when, cores,
                model.description(), workers, pictures.size(), folder, requests, warmup));
        md.append("| row | lines | clients | requests | errors | wrong answers | requests/s | p50 ms | p95 ms | "
                + "p99 ms | max ms | switch p50 ms | switch p99 ms |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ServeBenchmark.Row r : rows) {
            ObjectNode o = jsonRows.addObject().put("scenario", r.scenario()).put("clients", r.clients())
                    .put("requests", r.requests()).put("errors", r.errors()).put("wrong_answers", r.wrongAnswers())
                    .put("seconds", r.seconds()).put("requests_per_second", r.perSecond())
                    .put("p50_ms", r.latencyMs()[0]).put("p95_ms", r.latencyMs()[1]).put("p99_ms", r.latencyMs()[2])
                    .put("max_ms", r.latencyMs()[3]);
            ArrayNode ls = o.putArray("lines");
            r.lines().forEach(ls::add);
            boolean http = !r.scenario().equals("direct");
            if (http) {
                o.put("switch_p50_ms", r.switchMs()[0]).put("switch_p99_ms", r.switchMs()[1])
                        .put("switch_max_ms", r.switchMs()[2]);
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f "
                    + "| %s | %s |%n", http ? r.scenario() : "direct Predictor", String.join(", ", r.lines()),
                    r.clients(), r.requests(), r.errors(), r.wrongAnswers(), r.perSecond(), r.latencyMs()[0],
                    r.latencyMs()[1], r.latencyMs()[2], r.latencyMs()[3],
                    http ? String.format(Locale.ROOT, "%.3f", r.switchMs()[0]) : "",
                    http ? String.format(Locale.ROOT, "%.3f", r.switchMs()[1]) : ""));
        }
        double overheadMs = serial.latencyMs()[0] - direct.latencyMs()[0];
        double throughputRatio = oneLine.perSecond() / direct.perSecond();
        double alternatingRatio = alternating.perSecond() / oneLine.perSecond();
        ObjectNode summary = root.putObject("summary");
        summary.put("overhead_p50_ms", overheadMs).put("throughput_ratio_to_direct", throughputRatio)
                .put("alternating_throughput_ratio", alternatingRatio)
                .put("switch_p50_ms", alternating.switchMs()[0]).put("switch_p99_ms", alternating.switchMs()[1])
                .put("rss_mb_before", rssBefore).put("rss_mb_after", rssAfter)
                .put("engine_arrays_before", arraysBefore).put("engine_arrays_after", arraysAfter)
                .put("rounds", repeats).put("requests_all_rounds", requestsSent).put("errors_all_rounds", errorsSeen)
                .put("wrong_answers_all_rounds", wrongSeen);
        md.append(String.format(Locale.ROOT, "%nThe service's overhead: one client's p50 %.2f ms against the direct "
                + "call's %.2f ms (%+.2f ms: HTTP, decoding, statistics, JSON); at %d clients %.2f requests/s, "
                + "%.2f x the direct call's rate. Alternating between %s: %.2f x the one-line rate, adapter "
                + "switch p50 %.3f ms, p99 %.3f ms (the base model is never reloaded). Resident memory %.0f MiB "
                + "before the HTTP rows, %.0f MiB after; engine arrays %d before, %d after. Each row is its fastest "
                + "of %d rounds; over all rounds %d requests and calls, %d errors, %d answers unlike the direct "
                + "call's.%n", serial.latencyMs()[0],
                direct.latencyMs()[0], overheadMs, clients, oneLine.perSecond(), throughputRatio,
                String.join(", ", chosen), alternatingRatio, alternating.switchMs()[0], alternating.switchMs()[1],
                rssBefore, rssAfter, arraysBefore, arraysAfter, repeats, requestsSent, errorsSeen, wrongSeen));
        AtomicFiles.write(json, o -> o.write(root.toPrettyString().getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(markdown, o -> o.write(md.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
