package ai.peft4j.serve;

import static ai.peft4j.serve.ServiceFixture.postImage;
import static ai.peft4j.serve.ServiceFixture.request;
import static ai.peft4j.serve.ServiceFixture.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every endpoint of a live server on a free port, and the refusals, each as JSON with a clear message. */
class InspectionApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static ServiceFixture fixture;
    static InspectionServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServiceFixture(tmp);
        ServeSettings s = fixture.settings();
        s = new ServeSettings(s.checkpoint(), s.config(), s.adapters(), null, 0, 8, 20_000L, 2_000_000L, 1_000_000L,
                null, null, null);
        Files.createDirectories(fixture.adapters.resolve("not a line"));
        Files.createDirectories(fixture.adapters.resolve("empty"));
        List<String> warnings = new ArrayList<>();
        server = InspectionServer.start(s, warnings);
        server.awaitReady();
        port = server.port();
        assertEquals(List.of(fixture.adapters.resolve("empty") + ": skipped, no adapter_config.json in it or in its "
                + "adapter/", fixture.adapters.resolve("not a line") + ": skipped, 'not a line' is not a plain line "
                + "name"), warnings);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.toString());
        return JSON.readTree(r.body());
    }

    private static void assertError(int status, String fragment, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        String error = json(r).path("error").asText();
        assertTrue(error.contains(fragment), error);
    }

    @Test
    void healthReadyMetricsAndOpenApi_answer() throws Exception {
        assertEquals("ok", json(send(request(port, "/healthz"))).path("status").asText());
        JsonNode ready = json(send(request(port, "/readyz")));
        assertEquals("[\"line-a\",\"line-b\"]", ready.path("lines").toString());
        JsonNode api = json(send(request(port, "/openapi.json")));
        assertTrue(api.path("paths").has("/v1/inspect"), api.toString());
        send(postImage(port, "/v1/inspect?line=line-a", ServiceFixture.noisePng(40, 30, 1), "image/png"));
        String metrics = send(request(port, "/metrics")).body();
        assertTrue(metrics.contains("peft4j_requests_total{endpoint=\"inspect\",line=\"line-a\",status=\"200\"}"),
                metrics);
        for (String name : List.of("peft4j_inspect_duration_seconds_bucket{line=\"line-a\",le=\"0.005\"}",
                "peft4j_queue_depth 0", "peft4j_adapter_switch_seconds_count", "peft4j_engine_arrays",
                "jvm_memory_used_bytes{area=\"heap\"}", "process_resident_memory_bytes")) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics);
        }
        String page = send(request(port, "/")).body();
        assertTrue(page.contains("<title>peft4j inspection</title>"), page);
        assertError(404, "no such endpoint: GET /v2/nothing", send(request(port, "/v2/nothing")));
    }

    @Test
    void lines_listMethodTrainableCountBaseAndClasses() throws Exception {
        JsonNode lines = json(send(request(port, "/v1/lines"))).path("lines");
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("line-a", lines.get(0).path("name").asText());
        assertEquals("bitfit", lines.get(0).path("method").asText());
        assertTrue(lines.get(0).path("trainable_parameters").asLong() > 0, lines.toString());
        assertEquals(lines.get(0).path("base_fingerprint"), lines.get(1).path("base_fingerprint"));
        assertEquals("[\"background\",\"scratch\",\"patch\"]", lines.get(1).path("classes").toString());
    }

    @Test
    void inspect_givesTheOfflinePredictionWithAreasRegionsAndVerdict() throws Exception {
        byte[] png = ServiceFixture.noisePng(48, 40, 2);
        JsonNode r = json(send(postImage(port, "/v1/inspect?line=line-b&png=base64", png, "image/png")));
        assertEquals("line-b", r.path("line").asText());
        assertEquals("bitfit", r.path("adapter").path("method").asText());
        JsonNode img = r.path("images").get(0);
        assertEquals(48, img.path("width").asInt());
        assertEquals(40, img.path("height").asInt());
        int[] mask = ServiceFixture.indexPng(Base64.getDecoder().decode(img.path("mask_png").asText()));
        assertArrayEquals(fixture.offlineMask("line-b", ServiceFixture.decode(png)), mask);
        long[] counts = new long[3];
        for (int v : mask) {
            counts[v]++;
        }
        for (int c = 0; c < 3; c++) {
            assertEquals(counts[c], img.path("classes").get(c).path("pixels").asLong());
            assertEquals(counts[c] / 1920.0, img.path("classes").get(c).path("share").asDouble(), 1e-12);
        }
        long regionArea = 0;
        for (JsonNode k : img.path("regions")) {
            regionArea += k.path("area").asLong();
            assertEquals(4, k.path("box").size());
        }
        assertEquals(counts[1] + counts[2], regionArea, "regions cover the defect pixels");
        boolean fails = counts[1] > 100 || counts[2] > 100;
        assertEquals(fails ? "fail" : "pass", img.path("verdict").path("result").asText());
        assertEquals("fail when any defect class covers more than 100 pixels", r.path("rule").asText());
        assertTrue(r.path("latency_ms").asDouble() > 0);
        assertTrue(img.path("overlay_png").asText().length() > 100);

        // The threshold decides: the largest defect class's area passes, one pixel less fails.
        long most = Math.max(counts[1], counts[2]);
        assertTrue(most > 0, "the fixture line finds defects");
        JsonNode pass = json(send(postImage(port, "/v1/inspect?line=line-b&threshold=" + most, png, "image/png")));
        assertEquals("pass", pass.path("verdict").asText());
        JsonNode fail = json(send(postImage(port, "/v1/inspect?line=line-b&threshold=" + (most - 1), png,
                "image/png")));
        assertEquals("fail", fail.path("verdict").asText());

        // Another line, another map.
        JsonNode a = json(send(postImage(port, "/v1/inspect?line=line-a&png=base64", png, "image/png")));
        int[] maskA = ServiceFixture.indexPng(Base64.getDecoder().decode(a.path("images").get(0).path("mask_png")
                .asText()));
        assertArrayEquals(fixture.offlineMask("line-a", ServiceFixture.decode(png)), maskA);
        assertFalse(Arrays.equals(mask, maskA), "the two lines segment differently");

        // The PNG endpoint: the same class map.
        HttpResponse<byte[]> p = ServiceFixture.HTTP.send(postImage(port, "/v1/inspect.png?line=line-b&view=mask",
                png, "image/png").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, p.statusCode());
        assertEquals("image/png", p.headers().firstValue("Content-Type").orElse(""));
        assertArrayEquals(mask, ServiceFixture.indexPng(p.body()));
    }

    @Test
    void multipart_inspectsEveryImageInOnePass() throws Exception {
        String boundary = "peft4jBoundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<ai.peft4j.data.image.RgbImage> images = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"img" + i
                    + ".png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            byte[] png = ServiceFixture.noisePng(20 + i, 24, 10 + i);
            images.add(ServiceFixture.decode(png));
            body.write(png);
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode r = json(send(postImage(port, "/v1/inspect?png=base64&line=line-a", body.toByteArray(),
                "multipart/form-data; boundary=" + boundary)));
        assertEquals(3, r.path("images").size(), r.toString());
        // One forward pass for the three, each map the one predicted for its image alone.
        List<int[]> offline = fixture.offlineMasks("line-a", images);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(offline.get(i), ServiceFixture.indexPng(Base64.getDecoder().decode(r.path("images")
                    .get(i).path("mask_png").asText())), "image " + i);
        }
        assertEquals("img2.png", r.path("images").get(2).path("name").asText());
        assertEquals(22, r.path("images").get(2).path("width").asInt());
    }

    @Test
    void badImages_areRefusedAndTheServiceKeepsServing() throws Exception {
        assertError(400, "not an image", send(postImage(port, "/v1/inspect?line=line-a",
                "hello, not a picture".getBytes(StandardCharsets.UTF_8), "image/png")));
        byte[] png = ServiceFixture.noisePng(40, 40, 3);
        assertError(400, "truncated", send(postImage(port, "/v1/inspect?line=line-a",
                Arrays.copyOf(png, png.length / 2), "image/png")));
        assertError(415, "content type 'text/plain'", send(postImage(port, "/v1/inspect?line=line-a", png,
                "text/plain")));
        BufferedImage huge = new BufferedImage(5000, 4000, BufferedImage.TYPE_BYTE_BINARY);
        ByteArrayOutputStream big = new ByteArrayOutputStream();
        ImageIO.write(huge, "png", big);
        assertError(413, "5000x4000 (20,000,000 pixels), more than the limit of 16,777,216 pixels", send(postImage(port,
                "/v1/inspect?line=line-a", big.toByteArray(), "image/png")));
        assertError(413, "larger than the limit of 2000000 bytes", send(postImage(port, "/v1/inspect?line=line-a",
                new byte[2_000_001], "image/png")));
        assertError(404, "unknown line 'line-z'; loaded lines: [line-a, line-b]", send(postImage(port,
                "/v1/inspect?line=line-z", png, "image/png")));
        assertError(400, "not a plain name", send(postImage(port, "/v1/inspect?line=..%2Fetc", png, "image/png")));
        assertError(400, "name the product line", send(postImage(port, "/v1/inspect", png, "image/png")));
        assertError(400, "threshold=-3", send(postImage(port, "/v1/inspect?line=line-a&threshold=-3", png,
                "image/png")));
        assertEquals(200, send(postImage(port, "/v1/inspect?line=line-a", png, "image/png")).statusCode());
    }

    private static byte[] zip(List<String> names, List<byte[]> contents) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (int i = 0; i < names.size(); i++) {
                z.putNextEntry(new ZipEntry(names.get(i)));
                z.write(contents.get(i));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private static byte[] adapterZip(Path dir, String folder) throws Exception {
        return zip(List.of(folder + "adapter_config.json", folder + "adapter_model.safetensors"),
                List.of(Files.readAllBytes(dir.resolve("adapter_config.json")),
                        Files.readAllBytes(dir.resolve("adapter_model.safetensors"))));
    }

    private static HttpResponse<String> put(String name, byte[] zip) throws Exception {
        return send(request(port, "/v1/lines/" + name).header("Content-Type", "application/zip")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(zip)));
    }

    @Test
    void adapters_uploadLoadUnload_andRefusals() throws Exception {
        List<String> before = listing();
        // Another base: refused, naming both fingerprints, leaving nothing behind.
        HttpResponse<String> foreign = put("line-x", adapterZip(fixture.foreignAdapter, "line-x/"));
        assertError(422, "adapter trained on another base model (base ", foreign);
        String fp = json(send(request(port, "/v1/lines"))).path("lines").get(0).path("base_fingerprint").asText();
        assertTrue(json(foreign).path("error").asText().contains("this model " + fp.substring(0, 12)),
                foreign.body() + " vs " + fp);
        assertEquals(before, listing());

        assertError(400, "not a zip archive", put("line-y", "PK but not really".getBytes(StandardCharsets.UTF_8)));
        byte[] conf = Files.readAllBytes(fixture.adapters.resolve("line-a/adapter_config.json"));
        assertError(400, "leads out of the adapter folder", put("line-y", zip(List.of("../evil.json"),
                List.of(conf))));
        assertError(400, "absolute path", put("line-y", zip(List.of("/tmp/evil.json"), List.of(conf))));
        assertError(400, "is not an adapter file", put("line-y", zip(List.of("notes.txt"), List.of(conf))));
        assertFalse(Files.exists(fixture.adapters.getParent().resolve("evil.json")));
        assertEquals(before, listing());
        assertError(400, "not a plain name", put("..", adapterZip(fixture.adapters.resolve("line-a"), "")));

        // A copy of line-a under a new name: loaded, inspected as line-a is, unloaded.
        int arrays = server.engine().liveArrays();
        HttpResponse<String> up = put("line-c", adapterZip(fixture.adapters.resolve("line-a"), "x/"));
        assertEquals(201, up.statusCode(), up.body());
        assertTrue(Files.isRegularFile(fixture.adapters.resolve("line-c/adapter_model.safetensors")));
        byte[] png = ServiceFixture.noisePng(30, 30, 4);
        JsonNode c = json(send(postImage(port, "/v1/inspect?line=line-c&png=base64", png, "image/png")));
        assertArrayEquals(fixture.offlineMask("line-a", ServiceFixture.decode(png)), ServiceFixture.indexPng(
                Base64.getDecoder().decode(c.path("images").get(0).path("mask_png").asText())));
        assertError(409, "exists already", put("line-c", adapterZip(fixture.adapters.resolve("line-a"), "")));
        assertEquals(200, send(request(port, "/v1/lines/line-c").DELETE()).statusCode());
        assertError(404, "unknown line 'line-c'", send(postImage(port, "/v1/inspect?line=line-c", png,
                "image/png")));
        assertError(404, "no line 'line-c' is loaded", send(request(port, "/v1/lines/line-c").DELETE()));
        // Loading from the folder again.
        HttpResponse<String> load = send(request(port, "/v1/lines/line-c").POST(HttpRequest.BodyPublishers
                .noBody()));
        assertEquals(201, load.statusCode(), load.body());
        assertError(409, "already loaded", send(request(port, "/v1/lines/line-c").POST(HttpRequest.BodyPublishers
                .noBody())));
        assertError(404, "no adapter folder 'line-q'", send(request(port, "/v1/lines/line-q").POST(
                HttpRequest.BodyPublishers.noBody())));
        assertEquals(200, send(request(port, "/v1/lines/line-c").DELETE()).statusCode());
        assertEquals(arrays, server.engine().liveArrays(), "engine arrays after two loads and unloads");
        assertNotEquals(0, listing().size());
    }

    private static List<String> listing() throws Exception {
        try (var s = Files.list(fixture.adapters)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("line-c")).sorted().toList();
        }
    }
}
