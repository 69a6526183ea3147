package ai.peft4j.serve;

import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.render.Overlay;
import ai.peft4j.infer.stats.Component;
import ai.peft4j.infer.stats.FrameStats;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP side of {@code peft4j serve}: the JSON API, the metrics, the OpenAPI description and the web page, on
 * Javalin. It answers from the moment it binds: {@code /readyz} and the inspection endpoints say 503 with the
 * reason until the model has loaded. Every error is {@code {"error": "..."}} with its status.
 */
public final class InspectionServer implements AutoCloseable {
    /** The image types accepted as a raw body or a multipart part. */
    static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png", "image/bmp", "image/x-ms-bmp");
    /** Regions listed per image, largest first; a noisy class map can have thousands. */
    static final int MAX_REGIONS = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServeSettings settings;
    private final Javalin app;
    private final ServiceMetrics metrics;
    private final byte[] token;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile InspectionEngine engine;
    private volatile String notReady = "loading the base model and adapters";
    private volatile boolean draining;

    private InspectionServer(ServeSettings settings) throws IOException {
        this.settings = settings;
        this.token = settings.tokenFile() == null ? null
                : Files.readString(settings.tokenFile()).strip().getBytes(StandardCharsets.UTF_8);
        if (token != null && token.length == 0) {
            throw new IllegalArgumentException(settings.tokenFile() + ": token file is empty");
        }
        this.metrics = new ServiceMetrics(() -> engine == null ? 0 : engine.queueDepth(),
                () -> engine == null ? 0 : engine.liveArrays());
        long bodyLimit = Math.max(settings.maxRequestBytes(), settings.maxAdapterBytes());
        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.http.maxRequestSize = bodyLimit;
            c.jetty.multipartConfig.maxTotalRequestSize(settings.maxRequestBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.multipartConfig.maxFileSize(settings.maxRequestBytes(), io.javalin.config.SizeUnit.BYTES);
            c.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE,
                    settings.maxRequestBytes()), io.javalin.config.SizeUnit.BYTES);
            c.staticFiles.add(s -> {
                s.hostedPath = "/";
                s.directory = "/ai/peft4j/serve/web";
                s.location = Location.CLASSPATH;
            });
            c.routes.before(this::before);
            c.routes.after(ctx -> inFlight.decrementAndGet());
            c.routes.get("/healthz", ctx -> json(ctx, 200, JSON.createObjectNode().put("status", "ok")));
            c.routes.get("/readyz", this::readyz);
            c.routes.get("/metrics", ctx -> ctx.contentType(ServiceMetrics.CONTENT_TYPE).result(metrics.scrape()));
            c.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(resource(
                    "openapi.json")));
            c.routes.get("/v1/lines", this::listLines);
            c.routes.post("/v1/lines/{name}", this::loadLine);
            c.routes.put("/v1/lines/{name}", this::uploadLine);
            c.routes.delete("/v1/lines/{name}", this::unloadLine);
            c.routes.post("/v1/inspect", ctx -> inspect(ctx, false));
            c.routes.post("/v1/inspect.png", ctx -> inspect(ctx, true));
            c.routes.exception(ApiException.class, (e, ctx) -> {
                if (e.retryAfter() != null) {
                    ctx.header("Retry-After", e.retryAfter());
                }
                error(ctx, e.status(), e.getMessage());
            });
            c.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
                    e.getStatus() == 404 ? "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see "
                    + "/openapi.json)" : e.getMessage()));
            c.routes.exception(Exception.class, (e, ctx) -> {
                org.slf4j.LoggerFactory.getLogger(InspectionServer.class).error("request failed", e);
                error(ctx, 500, "internal error: " + e);
            });
            c.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see /openapi.json)");
                }
            });
        });
    }

    /**
     * Binds {@code settings}' address and port, answering at once, and loads the model with {@code loader} on
     * another thread; {@link #awaitReady} waits for it.
     */
    public static InspectionServer start(ServeSettings settings, Callable<InspectionEngine> loader)
            throws IOException {
        InspectionServer s = new InspectionServer(settings);
        s.app.start(settings.host(), settings.port());
        Thread t = new Thread(() -> {
            try {
                s.engine = loader.call();
                s.notReady = null;
            } catch (Exception | OutOfMemoryError e) {
                s.notReady = "the model failed to load: " + e.getMessage();
                s.failure = e;
            }
            synchronized (s) {
                s.notifyAll();
            }
        }, "peft4j-model-loader");
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** The usual loader: the settings' base model and adapters folder; skipped adapters go to {@code warnings}. */
    public static InspectionServer start(ServeSettings settings, List<String> warnings) throws IOException {
        InspectionServer[] self = new InspectionServer[1];
        self[0] = start(settings, () -> InspectionEngine.load(settings, sec -> self[0].metrics.switched(sec),
                warnings));
        return self[0];
    }

    private volatile Throwable failure;

    /** Waits until the model is loaded; throws what stopped it from loading. */
    public synchronized void awaitReady() throws Exception {
        while (engine == null && failure == null) {
            wait(1000);
        }
        if (failure instanceof Exception e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    public int port() {
        return app.port();
    }

    InspectionEngine engine() {
        return engine;
    }

    // ------------------------------------------------------------------ endpoints

    private void before(Context ctx) {
        inFlight.incrementAndGet();
        if (draining) {
            throw new ApiException(503, "shutting down: finishing the requests in progress", "5");
        }
        boolean manage = ctx.path().startsWith("/v1/lines/") && !"GET".equals(ctx.method().name());
        if (manage && token != null) {
            String auth = ctx.header("Authorization");
            byte[] given = auth != null && auth.startsWith("Bearer ")
                    ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
            if (!MessageDigest.isEqual(given, token)) {
                ctx.header("WWW-Authenticate", "Bearer");
                throw new ApiException(401, "managing lines needs the service's token: send 'Authorization: "
                        + "Bearer TOKEN' (the token is in the service's token_file)");
            }
        }
    }

    private void readyz(Context ctx) {
        InspectionEngine e = engine;
        if (e == null) {
            ctx.header("Retry-After", "5");
            error(ctx, 503, "not ready: " + notReady);
            return;
        }
        ObjectNode out = JSON.createObjectNode().put("status", "ready");
        ArrayNode names = out.putArray("lines");
        e.lines().forEach(l -> names.add(l.name()));
        json(ctx, 200, out);
    }

    private InspectionEngine ready() {
        InspectionEngine e = engine;
        if (e == null) {
            throw new ApiException(503, "not ready: " + notReady, "5");
        }
        return e;
    }

    private void listLines(Context ctx) {
        InspectionEngine e = ready();
        ObjectNode out = JSON.createObjectNode();
        ArrayNode arr = out.putArray("lines");
        e.lines().forEach(l -> arr.add(describe(l)));
        out.put("adapters_folder", e.adapterRoot() == null ? null : e.adapterRoot().toString());
        json(ctx, 200, out);
    }

    private static ObjectNode describe(ProductLine l) {
        ObjectNode n = JSON.createObjectNode().put("name", l.name()).put("method", l.method())
                .put("trainable_parameters", l.trainable()).put("base_fingerprint", l.baseFingerprint());
        ArrayNode classes = n.putArray("classes");
        l.classNames().forEach(classes::add);
        return n;
    }

    private void loadLine(Context ctx) throws Exception {
        InspectionEngine e = ready();
        // The upload is read before any refusal: answering while the client still sends lets the server close
        // the connection under it, and the client sees no answer at all instead of the error.
        checkLength(ctx, settings.maxAdapterBytes(), "max_adapter_bytes");
        byte[] zip = ctx.bodyAsBytes();
        String name = LineName.require(ctx.pathParam("name"));
        if (e.adapterRoot() == null) {
            throw new ApiException(409, "the service was started without an adapters folder (adapters: DIR)");
        }
        Path dir = InspectionEngine.adapterIn(e.adapterRoot().resolve(name));
        if (dir == null) {
            throw new ApiException(404, "no adapter folder '" + name + "' in " + e.adapterRoot() + " (with "
                    + "adapter_config.json in it or in its adapter/); upload one with PUT /v1/lines/" + name
                    + " (a zip of the adapter folder)");
        }
        ProductLine line = await(e.call(() -> e.loadLine(name, dir)), ctx, name);
        json(ctx, 201, describe(line));
    }

    private void uploadLine(Context ctx) throws Exception {
        InspectionEngine e = ready();
        // The upload is read before any refusal: answering while the client still sends lets the server close
        // the connection under it, and the client sees no answer at all instead of the error.
        checkLength(ctx, settings.maxAdapterBytes(), "max_adapter_bytes");
        byte[] zip = ctx.bodyAsBytes();
        String name = LineName.require(ctx.pathParam("name"));
        if (e.adapterRoot() == null) {
            throw new ApiException(409, "the service was started without an adapters folder (adapters: DIR), so "
                    + "it has nowhere to keep an uploaded adapter");
        }
        Path target = e.adapterRoot().resolve(name);
        if (e.line(name) != null || Files.exists(target)) {
            throw new ApiException(409, "line '" + name + "' exists already (" + target + "); unload it and "
                    + "remove its folder, or upload under another name");
        }
        Path staging = e.adapterRoot().resolve(".upload-" + name + "-" + System.nanoTime());
        AdapterZip.extract(zip, staging, settings.maxAdapterBytes());
        try {
            ProductLine line = await(e.call(() -> e.loadLine(name, staging)), ctx, name);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            json(ctx, 201, describe(line));
        } finally {
            AdapterZip.deleteTree(staging);
        }
    }

    private void unloadLine(Context ctx) throws Exception {
        InspectionEngine e = ready();
        String name = LineName.require(ctx.pathParam("name"));
        ProductLine line = await(e.call(() -> e.unloadLine(name)), ctx, name);
        ObjectNode out = describe(line).put("unloaded", true).put("note", "the adapter folder stays on disk; "
                + "POST /v1/lines/" + name + " loads it again");
        json(ctx, 200, out);
    }

    private void inspect(Context ctx, boolean png) throws Exception {
        long t0 = System.nanoTime();
        String lineName = ctx.queryParam("line");
        int status = 500;
        try {
            InspectionEngine e = ready();
            String name = LineName.require(lineName);
            if (e.line(name) == null) {
                throw new ApiException(404, e.unknownLine(name));
            }
            long threshold = threshold(ctx);
            String view = ctx.queryParam("view") == null ? "overlay" : ctx.queryParam("view");
            if (png && !view.equals("overlay") && !view.equals("mask")) {
                throw new ApiException(400, "view=" + view + ": choose view=overlay or view=mask");
            }
            String embed = ctx.queryParam("png");
            if (embed != null && !embed.equals("base64")) {
                throw new ApiException(400, "png=" + embed + ": the only choice is png=base64 (overlay and mask in "
                        + "the JSON)");
            }
            List<String> names = new ArrayList<>();
            List<RgbImage> images = new ArrayList<>();
            readImages(ctx, names, images);
            if (png && images.size() != 1) {
                throw new ApiException(400, "inspect.png answers one image; send one (got " + images.size() + ")");
            }
            InspectionEngine.Result r = await(e.call(() -> e.inspect(name, names, images)), ctx, name);
            double latencyMs = (System.nanoTime() - t0) / 1e6;
            metrics.inspected(name, latencyMs / 1000);
            if (png) {
                Inspection in = r.inspections().get(0);
                byte[] bytes = view.equals("mask") ? PngImages.index(in.mask(), in.image().width(),
                        in.image().height(), e.palette()) : PngImages.rgb(Overlay.blend(in.image(), in.mask(),
                        e.palette()));
                ctx.header("X-Verdict", verdict(in.stats(), threshold).path("result").asText());
                ctx.contentType("image/png").result(bytes);
            } else {
                json(ctx, 200, response(r, threshold, latencyMs, embed != null, e));
            }
            status = 200;
        } catch (ApiException ex) {
            status = ex.status();
            throw ex;
        } catch (HttpResponseException ex) {
            status = ex.getStatus();
            throw ex;
        } finally {
            metrics.request(png ? "inspect.png" : "inspect", lineName, status);
        }
    }

    private static long threshold(Context ctx) {
        String t = ctx.queryParam("threshold");
        if (t == null) {
            return -1;
        }
        try {
            long v = Long.parseLong(t.strip());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new ApiException(400, "threshold=" + t + ": give a whole number of pixels, 0 or more");
    }

    private void readImages(Context ctx, List<String> names, List<RgbImage> images) {
        checkLength(ctx, settings.maxRequestBytes(), "max_request_bytes");
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        if (type.startsWith("multipart/form-data")) {
            List<UploadedFile> files = ctx.uploadedFiles();
            if (files.isEmpty()) {
                throw new ApiException(400, "the multipart request holds no files; send images as file parts");
            }
            for (UploadedFile f : files) {
                String partType = f.contentType() == null ? "" : f.contentType().toLowerCase(Locale.ROOT);
                String name = f.filename() == null || f.filename().isBlank() ? "image" : f.filename();
                requireImageType(partType, name);
                byte[] bytes;
                try (InputStream in = f.content()) {
                    bytes = in.readAllBytes();
                } catch (IOException ex) {
                    throw new ApiException(400, name + ": cannot be read: " + ex.getMessage());
                }
                names.add(name);
                images.add(decode(bytes, name));
            }
            return;
        }
        requireImageType(type.split(";")[0].strip(), "the request body");
        names.add("image");
        images.add(decode(ctx.bodyAsBytes(), "image"));
    }

    private static void requireImageType(String type, String what) {
        if (!IMAGE_TYPES.contains(type)) {
            throw new ApiException(415, what + " has content type '" + type + "'; send image/jpeg, image/png or "
                    + "image/bmp (raw body or multipart/form-data file parts)");
        }
    }

    private void checkLength(Context ctx, long max, String key) {
        long length = ctx.req().getContentLengthLong();
        if (length > max) {
            throw new ApiException(413, "request of " + length + " bytes is larger than the limit of " + max
                    + " bytes (" + key + ")");
        }
    }

    /** The header first: a size over the limit is refused before any pixel is decoded. */
    private RgbImage decode(byte[] bytes, String name) {
        Path source = Path.of(name.replaceAll("[^A-Za-z0-9._ -]", "_"));
        try {
            int[] size = ImageDecoder.probe(bytes, source, settings.maxPixels());
            if ((long) size[0] * size[1] > settings.maxPixels()) {
                throw new ApiException(413, source + ": image is " + size[0] + "x" + size[1] + ", more than the "
                        + "limit of " + settings.maxPixels() + " pixels (max_pixels)");
            }
            return ImageDecoder.readRgb(bytes, source);
        } catch (DataException e) {
            boolean tooLarge = e.problem().contains("more than the limit");
            throw new ApiException(tooLarge ? 413 : 400, e.getMessage());
        }
    }

    /** Waits for a worker task within the request's time; errors of the task keep their own status. */
    private <T> T await(Future<T> f, Context ctx, String line) throws Exception {
        try {
            return f.get(settings.timeoutMs(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            engine.cancel(f);
            throw new ApiException(504, "no answer within " + settings.timeoutMs() + " ms (timeout_ms) for line '"
                    + line + "'; the service is overloaded or the images are large");
        } catch (CancellationException e) {
            throw new ApiException(503, "cancelled: the service is shutting down", "5");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ApiException a) {
                throw a;
            }
            if (c instanceof IllegalArgumentException || c instanceof IOException) {
                throw new ApiException(422, c.getMessage());
            }
            throw c instanceof Exception x ? x : new RuntimeException(c);
        }
    }

    private ObjectNode response(InspectionEngine.Result r, long threshold, double latencyMs, boolean embed,
            InspectionEngine e) {
        long t = threshold < 0 ? settings.threshold() : threshold;
        ObjectNode out = JSON.createObjectNode().put("line", r.line().name());
        out.putObject("adapter").put("name", r.line().name()).put("method", r.line().method())
                .put("base_fingerprint", r.line().baseFingerprint());
        out.put("threshold", t).put("rule", rule(t));
        boolean fail = false;
        ArrayNode images = out.putArray("images");
        for (Inspection in : r.inspections()) {
            FrameStats s = in.stats();
            ObjectNode img = images.addObject().put("name", in.name()).put("width", s.width())
                    .put("height", s.height());
            ArrayNode classes = img.putArray("classes");
            List<String> names = r.line().classNames();
            for (int c = 0; c < s.pixels().length; c++) {
                classes.addObject().put("id", c).put("name", names.get(c)).put("pixels", s.pixels()[c])
                        .put("share", s.fraction(c));
            }
            List<Component> regions = new ArrayList<>(s.components());
            regions.sort(Comparator.comparingInt(Component::pixels).reversed());
            ArrayNode rs = img.putArray("regions");
            for (Component k : regions.subList(0, Math.min(MAX_REGIONS, regions.size()))) {
                ObjectNode o = rs.addObject().put("class", k.classId()).put("name", names.get(k.classId()))
                        .put("area", k.pixels());
                o.putArray("box").add(k.x0()).add(k.y0()).add(k.x1()).add(k.y1());
            }
            img.put("regions_total", regions.size());
            ObjectNode v = verdict(s, t, names);
            img.set("verdict", v);
            fail |= v.path("result").asText().equals("fail");
            if (embed) {
                img.put("overlay_png", Base64.getEncoder().encodeToString(PngImages.rgb(Overlay.blend(in.image(),
                        in.mask(), e.palette()))));
                img.put("mask_png", Base64.getEncoder().encodeToString(PngImages.index(in.mask(), s.width(),
                        s.height(), e.palette())));
            }
        }
        out.put("verdict", fail ? "fail" : "pass");
        out.put("switch_ms", r.switchMs()).put("latency_ms", latencyMs);
        ArrayNode colours = out.putArray("palette");
        for (int c = 0; c < r.line().classes(); c++) {
            colours.add(String.format(Locale.ROOT, "#%06x", e.palette().colour(c).rgb() & 0xFFFFFF));
        }
        return out;
    }

    private ObjectNode verdict(FrameStats s, long threshold) {
        return verdict(s, threshold < 0 ? settings.threshold() : threshold, null);
    }

    /** Fails when any defect class (every class but background, 0) covers more than {@code t} pixels. */
    private static ObjectNode verdict(FrameStats s, long t, List<String> names) {
        ObjectNode v = JSON.createObjectNode();
        ArrayNode failing = JSON.createArrayNode();
        for (int c = 1; c < s.pixels().length; c++) {
            if (s.pixels()[c] > t) {
                failing.add(names == null ? "class " + c : names.get(c));
            }
        }
        v.put("result", failing.isEmpty() ? "pass" : "fail").put("threshold", t).put("rule", rule(t));
        v.set("failing_classes", failing);
        return v;
    }

    static String rule(long t) {
        return "fail when any defect class covers more than " + t + " pixels";
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    private static void error(Context ctx, int status, String message) {
        json(ctx, status, JSON.createObjectNode().put("error", message));
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = InspectionServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is missing from the classpath");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Stops taking requests (they get 503), lets those in progress finish, then stops the server and frees the
     * model.
     */
    @Override
    public void close() {
        draining = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMs());
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        app.stop();
        InspectionEngine e = engine;
        if (e != null) {
            e.close();
        }
    }
}
