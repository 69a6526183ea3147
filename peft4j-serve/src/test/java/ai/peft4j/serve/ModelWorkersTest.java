package ai.peft4j.serve;

import static ai.peft4j.serve.ServiceFixture.postImage;
import static ai.peft4j.serve.ServiceFixture.request;
import static ai.peft4j.serve.ServiceFixture.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two model workers, each with a copy of the model: two lines hammered at once still get their own line's offline
 * class maps, both workers answer, and unloading and loading a line changes both copies while requests run.
 */
class ModelWorkersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LINES = List.of("line-a", "line-b");

    @TempDir
    Path tmp;

    @Test
    void twoWorkers_neverMixLines_andALineReloadedReachesBothCopies() throws Exception {
        ServiceFixture fixture = new ServiceFixture(tmp);
        ServeSettings s = fixture.settings();
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            images.add(ServiceFixture.noisePng(20 + 5 * i, 26, 300 + i));
        }
        int[][][] expected = new int[2][][];
        for (int l = 0; l < 2; l++) {
            expected[l] = fixture.offlineMasks(LINES.get(l), images.stream().map(ServiceFixture::decode).toList())
                    .toArray(new int[0][]);
        }
        try (InspectionServer server = InspectionServer.start(new ServeSettings(s.checkpoint(), s.config(),
                s.adapters(), null, 0, 32, 60_000L, null, null, null, null, null, null, 2), new ArrayList<>())) {
            server.awaitReady();
            assertEquals(2, server.engine().workers());
            int port = server.port();
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> all = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    all.add(clients.submit(() -> {
                        for (int k = 0; k < 5; k++) {
                            int line = (thread + k) % 2;
                            int image = (thread + 2 * k) % images.size();
                            HttpResponse<String> r = send(postImage(port, "/v1/inspect?png=base64&line="
                                    + LINES.get(line), images.get(image), "image/png"));
                            if (r.statusCode() == 404 && line == 0) {
                                // line-a is being reloaded below: an honest refusal, not a mixed answer.
                                continue;
                            }
                            assertEquals(200, r.statusCode(), r.body());
                            JsonNode body = JSON.readTree(r.body());
                            assertEquals(LINES.get(line), body.path("line").asText());
                            assertArrayEquals(expected[line][image], ServiceFixture.indexPng(Base64.getDecoder()
                                    .decode(body.path("images").get(0).path("mask_png").asText())),
                                    LINES.get(line) + " image " + image);
                        }
                        return null;
                    }));
                }
                // While the clients run: line-a off both copies and back on.
                HttpResponse<String> off = send(request(port, "/v1/lines/line-a").DELETE());
                assertEquals(200, off.statusCode(), off.body());
                HttpResponse<String> on = send(request(port, "/v1/lines/line-a").POST(
                        HttpRequest.BodyPublishers.noBody()));
                assertEquals(201, on.statusCode(), on.body());
                for (Future<?> f : all) {
                    f.get();
                }
            } finally {
                clients.shutdownNow();
            }
            assertTrue(server.engine().served()[0] > 0 && server.engine().served()[1] > 0, "both workers answered");
            // After the reload, each copy answers line-a as offline (one request at a time: the copies take turns).
            long[] before = server.engine().served();
            int arrays = server.engine().liveArrays();
            for (int k = 0; k < 6; k++) {
                HttpResponse<String> r = send(postImage(port, "/v1/inspect?png=base64&line=line-a", images.get(0),
                        "image/png"));
                assertEquals(200, r.statusCode(), r.body());
                assertArrayEquals(expected[0][0], ServiceFixture.indexPng(Base64.getDecoder().decode(JSON.readTree(
                        r.body()).path("images").get(0).path("mask_png").asText())));
            }
            long[] after = server.engine().served();
            assertTrue(after[0] > before[0] && after[1] > before[1], "both copies answered line-a after the reload");
            assertEquals(arrays, server.engine().liveArrays(), "engine arrays alive after the requests");
        }
    }
}
