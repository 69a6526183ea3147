package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.OutputClasses;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.models.ModelSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@code --classes} means the same in every command: given, else read from the weights, else one default per model. */
class ClassesOptionCliTest {
    @TempDir
    Path tmp;

    private static void collect(CommandLine cli, String path, List<String> into, List<OptionSpec> options) {
        OptionSpec o = cli.getCommandSpec().findOption("--classes");
        if (o != null) {
            into.add(path);
            options.add(o);
        }
        cli.getSubcommands().forEach((name, sub) -> collect(sub, (path + " " + name).strip(), into, options));
    }

    @Test
    void everyClassesOption_hasTheSameHelpAndNoFixedDefault() {
        List<String> commands = new ArrayList<>();
        List<OptionSpec> options = new ArrayList<>();
        collect(new CommandLine(new Main()), "", commands, options);
        assertEquals(List.of("summary", "convert", "bench train", "bench infer", "stream", "export"), commands);
        for (int i = 0; i < options.size(); i++) {
            OptionSpec o = options.get(i);
            assertTrue(o.description()[0].startsWith(OutputClasses.HELP), commands.get(i) + ": " + o.description()[0]);
            assertNull(o.defaultValue(), commands.get(i));
            assertEquals(Integer.class, o.type(), commands.get(i));
        }
    }

    private Path weights(int classes) throws Exception {
        Path file = tmp.resolve("w" + classes + ".safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(file, ModelSpec.of("swin-att-unet", "swin-fixture", classes).build(m).stateDict(),
                    Map.of());
        }
        return file;
    }

    private int summaryClasses(String... args) throws Exception {
        Path json = tmp.resolve("summary.json");
        Files.deleteIfExists(json);
        List<String> all = new ArrayList<>(List.of("summary", "--no-flops", "--json", json.toString()));
        all.addAll(List.of(args));
        CliRun r = CliRun.of(all.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(json.toFile()).path("classes").asInt();
    }

    @Test
    void leftOut_classesComeFromTheWeights_elseTheModelsDefault_andAGivenCountWins() throws Exception {
        assertEquals(6, summaryClasses("--backbone", "swin-fixture"));
        assertEquals(4, summaryClasses("--model", "fastsegformer-e"));
        Path three = weights(3);
        assertEquals(3, summaryClasses("--backbone", "swin-fixture", "--weights", three.toString()));
        assertEquals(5, summaryClasses("--backbone", "swin-fixture", "--classes", "5"));

        CliRun zero = CliRun.of("summary", "--backbone", "swin-fixture", "--no-flops", "--classes", "0");
        assertEquals(2, zero.code());
        assertEquals("error: --classes must be at least 1, got 0", zero.err().strip());
    }

    @Test
    void stream_withACheckpointAndNoClasses_buildsTheCheckpointsHead() throws Exception {
        Path frames = Files.createDirectory(tmp.resolve("frames"));
        ImageEncoder.writePng(RgbImage.filled(40, 30, 90, 120, 150), frames.resolve("a.png"));
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("stream", "--folder", frames.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--checkpoint", weights(3).toString(), "--input-size", "32", "--no-video", "--no-png",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        String model = r.out().lines().filter(l -> l.startsWith("Model ")).findFirst().orElseThrow();
        assertTrue(model.startsWith("Model     Swin-Att-UNet (swin-fixture backbone") && model.endsWith(", 3 classes)"),
                model);
    }
}
