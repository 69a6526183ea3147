package ai.peft4j.serve;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j serve}: the inspection service, until Ctrl-C or SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve one base model with an adapter per product line: a JSON API (POST /v1/inspect?line="
                + "NAME), a web page at /, /metrics, /healthz, /readyz and /openapi.json.",
            "Settings come from a YAML file (--settings; keys as the options below in snake case, e.g. timeout_ms) "
                + "with the options on top. Stops on Ctrl-C, finishing the requests in progress."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--settings", paramLabel = "FILE", description = "YAML serve file.")
    Path settingsFile;

    @Option(names = "--checkpoint", paramLabel = "CKPT", description = "The base model's weights.")
    Path checkpoint;

    @Option(names = "--config", paramLabel = "FILE", description = "The run file of the base model (its model and "
            + "data sections), e.g. the config.yaml beside the checkpoint.")
    Path config;

    @Option(names = "--adapters", paramLabel = "DIR", description = "Folder with one adapter folder per product "
            + "line, named for the line.")
    Path adapters;

    @Option(names = "--host", description = "Address to bind (default " + ServeSettings.DEFAULT_HOST + "; 0.0.0.0 "
            + "for every interface).")
    String host;

    @Option(names = "--port", description = "TCP port (default " + ServeSettings.DEFAULT_PORT + "; 0 for a free "
            + "one).")
    Integer port;

    @Option(names = "--queue", description = "Requests waiting for the model at most; more get 429 (default "
            + ServeSettings.DEFAULT_QUEUE + ").")
    Integer queue;

    @Option(names = "--timeout-ms", description = "Time a request may take before it gets 504 (default "
            + ServeSettings.DEFAULT_TIMEOUT_MS + ").")
    Long timeoutMs;

    @Option(names = "--max-request-bytes", description = "Largest inspection request (default 32 MiB).")
    Long maxRequestBytes;

    @Option(names = "--max-adapter-bytes", description = "Largest adapter upload, unzipped (default 256 MiB).")
    Long maxAdapterBytes;

    @Option(names = "--max-pixels", description = "Largest image, checked in its header before decoding (default "
            + ServeSettings.DEFAULT_MAX_PIXELS + ").")
    Long maxPixels;

    @Option(names = "--threshold", description = "Default verdict threshold: an image fails when a defect class "
            + "covers more pixels (default " + ServeSettings.DEFAULT_THRESHOLD + "; ?threshold=N per request).")
    Long threshold;

    @Option(names = "--workers", description = "Model workers, each with a copy of the model of its own, taking "
            + "requests from the one queue (default 1; each copy holds the base and every line's adapter).")
    Integer workers;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding a bearer token that loading, "
            + "uploading and unloading lines require.")
    Path tokenFile;

    @Option(names = "--text-encoder", paramLabel = "DIR", description = "TP-LoRA: the BERT checkpoint folder the "
            + "lines' text prompts must have been made by (default: method.options.text_encoder of the run file); "
            + "a TP-LoRA adapter that records another encoder is refused.")
    Path textEncoder;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("checkpoint", checkpoint);
        flags.put("config", config);
        flags.put("adapters", adapters);
        flags.put("host", host);
        flags.put("port", port);
        flags.put("queue", queue);
        flags.put("timeout_ms", timeoutMs);
        flags.put("max_request_bytes", maxRequestBytes);
        flags.put("max_adapter_bytes", maxAdapterBytes);
        flags.put("max_pixels", maxPixels);
        flags.put("threshold", threshold);
        flags.put("token_file", tokenFile);
        flags.put("text_encoder", textEncoder);
        flags.put("workers", workers);
        ServeSettings s = ServeSettings.read(settingsFile, flags);
        List<String> warnings = new ArrayList<>();
        InspectionServer server = InspectionServer.start(s, warnings);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.err.println("peft4j serve: stopping, finishing the requests in progress ...");
            server.close();
            stopped.countDown();
        }, "peft4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        String url = "http://" + s.host() + ":" + server.port() + "/";
        System.out.println("peft4j serve: listening on " + url + " (loading the model ...)");
        try {
            server.awaitReady();
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            server.close();
            throw e;
        }
        warnings.forEach(w -> System.err.println("warning: " + w));
        List<ProductLine> lines = server.engine().lines();
        System.out.println("peft4j serve: ready, " + lines.size() + " line(s) " + lines.stream()
                .map(ProductLine::name).toList() + "; open " + url + " or POST " + url + "v1/inspect?line=NAME");
        stopped.await();
        return 0;
    }
}
