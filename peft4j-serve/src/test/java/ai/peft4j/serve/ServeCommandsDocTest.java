package ai.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serve and curl commands of docs/usage.md, as written, against a service on the transfer benchmark's layout:
 * a base built from {@code configs/neu-seg.yaml} at {@code runs/transfer/pretrain/last.safetensors} and
 * magnetic-tile adapters with their own six-class heads under {@code runs/transfer/magnetic-tile/<method>/adapter}.
 * Only the port changes (the service takes a free one) and {@code ../shared/} (where the shared folder is).
 */
class ServeCommandsDocTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path tmp;

    @Test
    void usageServeBlock_runsAsWritten() throws Exception {
        assumeTrue(onPath("curl"), "curl is not installed");
        Path image = SharedFiles.require("data/magnetic-tile/MT_Crack/Imgs/exp1_num_249594.jpg");
        String usage = Files.readString(REPO.resolve("docs/usage.md"));
        String serveBlock = usage.substring(usage.indexOf("## The inspection service"));
        List<String> serve = commands(serveBlock.substring(serveBlock.indexOf("```bash"),
                serveBlock.indexOf("```", serveBlock.indexOf("```bash") + 7)));
        assertEquals(1, serve.size(), serve.toString());
        String curlBlock = between(usage, "<!-- begin serve curl commands -->", "<!-- end serve curl commands -->");
        List<String> curls = commands(curlBlock);
        assertEquals(5, curls.size(), curls.toString());

        // The README shows two of them, the same but for their comments.
        String readme = Files.readString(REPO.resolve("README.md"));
        String serving = readme.substring(readme.indexOf("## Serving the adapters"));
        List<String> shown = commands(serving.substring(serving.indexOf("```bash"), serving.indexOf("```",
                serving.indexOf("```bash") + 7)));
        assertEquals(List.of(bare(serve.get(0)), bare(curls.get(2))), shown.stream().map(
                ServeCommandsDocTest::bare).toList());

        // The serve command's flags, on the transfer layout built in tmp.
        String[] words = serve.get(0).replaceAll("#.*", "").trim().split("\\s+");
        assertEquals(List.of("./peft4j", "serve"), List.of(words[0], words[1]));
        Map<String, Object> flags = new LinkedHashMap<>();
        for (int i = 2; i < words.length; i += 2) {
            flags.put(words[i].substring(2).replace('-', '_'), tmp.resolve(words[i + 1]));
        }
        assertEquals(Map.of("checkpoint", tmp.resolve("runs/transfer/pretrain/last.safetensors"), "config",
                tmp.resolve("configs/neu-seg.yaml"), "adapters", tmp.resolve("runs/transfer/magnetic-tile")), flags);
        transferLayout();
        ServeSettings settings = ServeSettings.read(null, flags);
        assertEquals(8080, settings.port(), "the commands talk to the default port");
        try (InspectionServer server = InspectionServer.start(settings.withPort(0), new ArrayList<>())) {
            server.awaitReady();
            List<String> out = new ArrayList<>();
            for (String c : curls) {
                String shared = SharedFiles.root().toAbsolutePath().normalize() + "/";
                out.add(curl(c.replace("localhost:8080", "localhost:" + server.port())
                        .replace("../shared/", shared)));
            }
            assertEquals("ready", JSON.readTree(out.get(0)).path("status").asText(), out.get(0));
            JsonNode lines = JSON.readTree(out.get(1)).path("lines");
            assertEquals(List.of("adapter", "classify", "lora"), List.of(lines.get(0).path("name").asText(),
                    lines.get(1).path("name").asText(), lines.get(2).path("name").asText()));
            assertEquals(6, lines.get(2).path("classes").size());
            BufferedImage original = ImageIO.read(image.toFile());
            JsonNode one = JSON.readTree(out.get(2));
            assertEquals("lora", one.path("line").asText(), out.get(2));
            assertEquals(50, one.path("threshold").asInt());
            assertEquals(original.getWidth(), one.path("images").get(0).path("width").asInt());
            assertEquals(original.getHeight(), one.path("images").get(0).path("height").asInt());
            long pixels = 0;
            for (JsonNode c : one.path("images").get(0).path("classes")) {
                pixels += c.path("pixels").asLong();
            }
            assertEquals((long) original.getWidth() * original.getHeight(), pixels);
            // Six classes, none drawn in black but the background.
            JsonNode palette = one.path("palette");
            assertEquals(6, palette.size());
            for (int c = 1; c < 6; c++) {
                assertTrue(!palette.get(c).asText().equals("#000000"), palette.toString());
            }
            JsonNode two = JSON.readTree(out.get(3));
            assertEquals("adapter", two.path("line").asText(), out.get(3));
            assertEquals(List.of("exp1_num_249594.jpg", "exp1_num_265613.jpg"), List.of(two.path("images").get(0)
                    .path("name").asText(), two.path("images").get(1).path("name").asText()));
            assertTrue(two.path("images").get(1).path("overlay_png").asText().length() > 100);
            BufferedImage overlay = ImageIO.read(tmp.resolve("overlay.png").toFile());
            assertEquals(original.getWidth(), overlay.getWidth());
            assertEquals(original.getHeight(), overlay.getHeight());
        }
    }

    /** The transfer benchmark's files: the base as a training checkpoint's weights, three methods' adapters. */
    private void transferLayout() throws Exception {
        Path config = Files.createDirectories(tmp.resolve("configs")).resolve("neu-seg.yaml");
        Files.copy(REPO.resolve("configs/neu-seg.yaml"), config);
        var model = RunConfigFile.read(config, List.of()).config().model();
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(3);
            Module base = SegmentationNet.build(model, 4, m);
            Path ckpt = Files.createDirectories(tmp.resolve("runs/transfer/pretrain")).resolve("last.safetensors");
            SafetensorsFile.write(ckpt, base.stateDict(), Map.of());
            for (String method : List.of("lora", "adapter", "classify")) {
                PeftMethod p = MethodRegistry.create(method, MethodInputs.none());
                ((SegmenterMethod) p).withClasses(6);
                Attachment a = p.attach(base);
                AdapterFiles.save(a, tmp.resolve("runs/transfer/magnetic-tile").resolve(method).resolve("adapter"));
                a.deactivate();
            }
        }
    }

    /** The commands of a fenced block: continuation lines joined, comments kept (the shell drops them). */
    private static List<String> commands(String block) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : block.split("\n")) {
            if (line.startsWith("```") || line.isBlank()) {
                continue;
            }
            String l = line.strip();
            if (l.endsWith("\\")) {
                current.append(l, 0, l.length() - 1).append(' ');
                continue;
            }
            current.append(l);
            out.add(current.toString());
            current.setLength(0);
        }
        return out;
    }

    private static String bare(String command) {
        return command.replaceAll("\\s+#.*", "").strip();
    }

    private static String between(String text, String from, String to) {
        int a = text.indexOf(from);
        int b = text.indexOf(to, a);
        assertTrue(a >= 0 && b > a, "docs/usage.md lost its markers " + from);
        return text.substring(a + from.length(), b);
    }

    /** Runs a curl command in tmp; fails on a status other than 200. */
    private String curl(String command) throws Exception {
        Path body = tmp.resolve("body.txt");
        // The status after the body, on a line of its own.
        String withStatus = command.replaceFirst("^curl ", "curl -w '\\\\n%{http_code}' ");
        Process p = new ProcessBuilder("bash", "-c", withStatus).directory(tmp.toFile())
                .redirectOutput(body.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), command);
        assertEquals(0, p.exitValue(), command);
        String out = Files.readString(body, StandardCharsets.UTF_8);
        int nl = out.lastIndexOf('\n');
        assertEquals("200", out.substring(nl + 1).strip(), command + " answered " + out);
        return out.substring(0, Math.max(0, nl));
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
