package ai.peft4j.serve;

import static ai.peft4j.serve.ServiceFixture.postImage;
import static ai.peft4j.serve.ServiceFixture.request;
import static ai.peft4j.serve.ServiceFixture.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, refusing when busy, timeouts, the token, graceful shutdown, and the command line. */
class ServiceLifecycleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static String error(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("error").asText();
    }

    private static ServeSettings with(ServeSettings s, int queue, long timeoutMs, Path token) {
        return new ServeSettings(s.checkpoint(), s.config(), s.adapters(), null, 0, queue, timeoutMs, null, null,
                null, null, token);
    }

    @Test
    void whileLoading_readyAndInspectAnswer503WithTheReason_thenServe() throws Exception {
        ServiceFixture f = new ServiceFixture(tmp);
        CountDownLatch release = new CountDownLatch(1);
        try (InspectionServer server = InspectionServer.start(f.settings(), () -> {
            release.await();
            return InspectionEngine.load(f.settings(), s -> { }, new ArrayList<>());
        })) {
            int port = server.port();
            HttpResponse<String> ready = send(request(port, "/readyz"));
            assertEquals(503, ready.statusCode());
            assertEquals("not ready: loading the base model and adapters", error(ready));
            HttpResponse<String> inspect = send(postImage(port, "/v1/inspect?line=line-a",
                    ServiceFixture.noisePng(20, 20, 1), "image/png"));
            assertEquals(503, inspect.statusCode());
            assertEquals("not ready: loading the base model and adapters", error(inspect));
            assertEquals("5", inspect.headers().firstValue("Retry-After").orElse(""));
            assertEquals(503, send(request(port, "/v1/lines")).statusCode());
            assertEquals(200, send(request(port, "/healthz")).statusCode(), "alive while loading");
            release.countDown();
            server.awaitReady();
            assertEquals(200, send(request(port, "/readyz")).statusCode());
            assertEquals(200, send(postImage(port, "/v1/inspect?line=line-a", ServiceFixture.noisePng(20, 20, 1),
                    "image/png")).statusCode());
        }
    }

    @Test
    void aBaseThatFailsToLoad_isReportedByReadyz() throws Exception {
        ServiceFixture f = new ServiceFixture(tmp);
        ServeSettings s = f.settings();
        ServeSettings missing = new ServeSettings(tmp.resolve("nothing.safetensors"), s.config(), s.adapters(), null,
                0, null, null, null, null, null, null, null);
        try (InspectionServer server = InspectionServer.start(missing, new ArrayList<>())) {
            Exception e = assertThrows(IllegalArgumentException.class, server::awaitReady);
            assertEquals(tmp.resolve("nothing.safetensors") + ": weights file not found", e.getMessage());
            HttpResponse<String> ready = send(request(server.port(), "/readyz"));
            assertEquals(503, ready.statusCode());
            assertEquals("not ready: the model failed to load: " + e.getMessage(), error(ready));
        }
    }

    @Test
    void fullQueue_gets429WithRetryAfter_aSlowAnswer504_andShutdownFinishesInFlightRequests() throws Exception {
        ServiceFixture f = new ServiceFixture(tmp);
        InspectionServer server = InspectionServer.start(with(f.settings(), 1, 1500, null), new ArrayList<>());
        server.awaitReady();
        int port = server.port();
        byte[] png = ServiceFixture.noisePng(20, 20, 1);
        // Hold the worker, and fill the one place in the queue.
        CountDownLatch hold = new CountDownLatch(1);
        server.engine().call(() -> hold.await(30, TimeUnit.SECONDS));
        awaitTaken(server);
        server.engine().call(() -> null);
        HttpResponse<String> busy = send(postImage(port, "/v1/inspect?line=line-a", png, "image/png"));
        assertEquals(429, busy.statusCode(), busy.body());
        assertTrue(error(busy).startsWith("busy: 1 requests are waiting for the model"), busy.body());
        assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
        hold.countDown();
        while (server.engine().queueDepth() > 0) {
            Thread.sleep(10);
        }

        CountDownLatch hold2 = new CountDownLatch(1);
        server.engine().call(() -> hold2.await(30, TimeUnit.SECONDS));
        awaitTaken(server);
        HttpResponse<String> slow = send(postImage(port, "/v1/inspect?line=line-a", png, "image/png"));
        assertEquals(504, slow.statusCode(), slow.body());
        assertTrue(error(slow).startsWith("no answer within 1500 ms (timeout_ms)"), slow.body());

        // A request in flight when shutdown begins still gets its answer; later ones find no server.
        CompletableFuture<HttpResponse<String>> inFlight = ServiceFixture.HTTP.sendAsync(postImage(port,
                "/v1/inspect?line=line-b", png, "image/png").build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        Thread closer = new Thread(server::close);
        closer.start();
        Thread.sleep(300);
        hold2.countDown();
        assertEquals(200, inFlight.get(20, TimeUnit.SECONDS).statusCode());
        closer.join(20_000);
        assertThrows(ConnectException.class, () -> send(request(port, "/healthz")));
    }

    /** Waits until the worker has taken every queued task (it holds the last one), so the queue's room is known. */
    private static void awaitTaken(InspectionServer server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (server.engine().queueDepth() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, server.engine().queueDepth(), "the worker took the held task");
    }

    @Test
    void managementEndpoints_needTheToken() throws Exception {
        ServiceFixture f = new ServiceFixture(tmp);
        Path token = tmp.resolve("token");
        Files.writeString(token, "s3cret\n");
        try (InspectionServer server = InspectionServer.start(with(f.settings(), 4, 20_000, token),
                new ArrayList<>())) {
            server.awaitReady();
            int port = server.port();
            HttpResponse<String> anon = send(request(port, "/v1/lines/line-a").DELETE());
            assertEquals(401, anon.statusCode());
            assertTrue(error(anon).startsWith("managing lines needs the service's token"), anon.body());
            HttpResponse<String> wrong = send(request(port, "/v1/lines/line-a").header("Authorization",
                    "Bearer guess").DELETE());
            assertEquals(401, wrong.statusCode());
            assertEquals(200, send(request(port, "/v1/lines")).statusCode(), "reading needs no token");
            assertEquals(200, send(postImage(port, "/v1/inspect?line=line-a", ServiceFixture.noisePng(20, 20, 1),
                    "image/png")).statusCode(), "inspecting needs no token");
            HttpResponse<String> ok = send(request(port, "/v1/lines/line-a").header("Authorization",
                    "Bearer s3cret").DELETE());
            assertEquals(200, ok.statusCode(), ok.body());
            HttpResponse<String> back = send(request(port, "/v1/lines/line-a").header("Authorization",
                    "Bearer s3cret").POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(201, back.statusCode(), back.body());
        }
    }


    @Test
    void serveCommand_isBesideTheAppsCommands_andBadSettingsExit2WithOneLine() throws Exception {
        ServeCli help = ServeCli.run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("serve") && help.out().contains("predict"), help.out());
        Path settings = tmp.resolve("serve.yaml");
        Files.writeString(settings, "checkpoint: base.safetensors\nprot: 8080\n");
        ServeCli unknown = ServeCli.run("serve", "--settings", settings.toString());
        assertEquals(2, unknown.code(), unknown.err());
        assertEquals("error: " + settings + ": unknown key 'prot' (known: checkpoint, config, adapters, host, port, "
                + "queue, timeout_ms, max_request_bytes, max_adapter_bytes, max_pixels, threshold, token_file, "
                + "text_encoder, workers)", unknown.err().strip());
        ServiceFixture f = new ServiceFixture(tmp);
        Files.writeString(settings, "checkpoint: missing.safetensors\nconfig: run.yaml\nport: 0\n");
        ServeCli missing = ServeCli.run("serve", "--settings", settings.toString());
        assertEquals(2, missing.code(), missing.err());
        assertEquals("error: " + tmp.resolve("missing.safetensors") + ": weights file not found",
                missing.err().strip());
        // Options win over the file, and name paths from the working folder.
        Path flagged = tmp.resolve("flagged.safetensors");
        ServeCli override = ServeCli.run("serve", "--settings", settings.toString(), "--checkpoint", flagged.toString(),
                "--port", "0");
        assertEquals(2, override.code(), override.err());
        assertEquals("error: " + flagged + ": weights file not found", override.err().strip());
        ServeCli badPort = ServeCli.run("serve", "--settings", settings.toString(), "--port", "70000");
        assertEquals("error: port must be 0 to 65535, got 70000", badPort.err().strip());
        Files.writeString(settings, "checkpoint: missing.safetensors\nqueue: many\n");
        ServeCli badQueue = ServeCli.run("serve", "--settings", settings.toString());
        assertEquals("error: " + settings + ": queue: 'many' is not a whole number", badQueue.err().strip());
        assertTrue(Files.isRegularFile(f.runFile));
    }
}
