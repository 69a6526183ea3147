package ai.peft4j.serve;

import static ai.peft4j.serve.ServiceFixture.postImage;
import static ai.peft4j.serve.ServiceFixture.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two lines hammered at once never see each other's adapter, and a few hundred requests leave the engine holding
 * exactly the arrays it held before.
 */
class ConcurrentInspectionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LINES = List.of("line-a", "line-b");

    @TempDir
    static Path tmp;

    static ServiceFixture fixture;
    static InspectionServer server;
    static List<byte[]> images = new ArrayList<>();
    /** Offline class maps by line, then image. */
    static int[][][] expected;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServiceFixture(tmp);
        ServeSettings s = fixture.settings();
        server = InspectionServer.start(new ServeSettings(s.checkpoint(), s.config(), s.adapters(), null, 0, 64,
                60_000L, null, null, null, null, null), new ArrayList<>());
        server.awaitReady();
        for (int i = 0; i < 4; i++) {
            images.add(ServiceFixture.noisePng(24 + 4 * i, 28, 100 + i));
        }
        expected = new int[LINES.size()][images.size()][];
        List<ai.peft4j.data.image.RgbImage> decoded = images.stream().map(ServiceFixture::decode).toList();
        for (int l = 0; l < LINES.size(); l++) {
            expected[l] = fixture.offlineMasks(LINES.get(l), decoded).toArray(new int[0][]);
        }
        for (int i = 0; i < images.size(); i++) {
            assertFalse(Arrays.equals(expected[0][i], expected[1][i]), "the lines must differ on image " + i);
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static int[] inspect(String line, byte[] png) throws Exception {
        HttpResponse<String> r = send(postImage(server.port(), "/v1/inspect?png=base64&line=" + line, png,
                "image/png"));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(line, body.path("line").asText());
        return ServiceFixture.indexPng(Base64.getDecoder().decode(body.path("images").get(0).path("mask_png")
                .asText()));
    }

    @Test
    void twoLinesHammeredFromEightThreads_eachAnswerIsItsLinesOfflinePrediction() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        AtomicInteger checked = new AtomicInteger();
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                all.add(clients.submit(() -> {
                    for (int k = 0; k < 12; k++) {
                        // Threads alternate lines request by request, so the worker switches all the time.
                        int line = (thread + k) % 2;
                        int image = (thread * 7 + k) % images.size();
                        assertArrayEquals(expected[line][image], inspect(LINES.get(line), images.get(image)),
                                LINES.get(line) + " image " + image + " from thread " + thread);
                        checked.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(96, checked.get());
    }

    @Test
    void threeHundredRequests_leaveTheEngineArraysAsTheyWere() throws Exception {
        for (int i = 0; i < 20; i++) {
            inspect(LINES.get(i % 2), images.get(i % images.size()));
        }
        int arrays = server.engine().liveArrays();
        long rss = residentKb();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                all.add(clients.submit(() -> {
                    for (int k = 0; k < 75; k++) {
                        inspect(LINES.get((thread + k) % 2), images.get(k % images.size()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }
        // The sound measure: every engine array a request makes is closed with its per-call manager.
        assertEquals(arrays, server.engine().liveArrays(), "engine arrays alive after 300 requests");
        long grown = residentKb() - rss;
        System.out.printf("engine arrays %d before and after; resident memory %+d kB over 300 requests%n", arrays,
                grown);
        // Resident memory also counts the JVM's heap and code growing; a leak of even one class map per request
        // (32 x 32 x 3 floats) would not show here, which is why the array count is the test.
        assertTrue(grown < 256 * 1024, "resident memory grew by " + grown + " kB");
    }

    private static long residentKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
