package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code finetune} then {@code eval --adapter}: the adapter directory scores exactly what validation scored in
 * training, and refuses a base it was not trained on.
 */
class FinetuneAdapterCliTest {
    @TempDir
    Path tmp;

    /** Images already at the training size, so validation's letterbox and eval's path see the same pixels. */
    private Path runFile(Path data, List<String> classes, Path out) throws Exception {
        return TinyRuns.RunFile.voc(data, classes).training("batch", "4").training("lr", "1.0e-2")
                .training("loss", "ce+dice").training("val_every", "1").write(tmp.resolve(data.getFileName() + ".yaml"),
                        out);
    }

    @Test
    void evalWithTheBestAdapter_reportsTheBestEpochsValidationMiou_andAnotherBaseIsRefused() throws Exception {
        // The base learns lemons; the adapter grapefruit, whose images move BatchNorm statistics a long way.
        Path lemons = tmp.resolve("lemon");
        new SyntheticCitrus(CitrusDomain.LEMON, 20, 32, 0).writeVoc(lemons);
        Path base = tmp.resolve("runs/base");
        Path baseConfig = runFile(lemons, CitrusDomain.LEMON.classNames(), base);
        Path grapefruit = tmp.resolve("grapefruit");
        new SyntheticCitrus(CitrusDomain.GRAPEFRUIT, 20, 32, 0).writeVoc(grapefruit);
        Path config = runFile(grapefruit, CitrusDomain.GRAPEFRUIT.classNames(), tmp.resolve("runs/unused"));
        CliRun train = CliRun.of("train", "--config", baseConfig.toString(), "--set", "training.seed=1", "--epochs",
                "6");
        assertEquals(0, train.code(), train.err() + train.out());
        Path otherBase = tmp.resolve("runs/other");
        CliRun other = CliRun.of("train", "--config", baseConfig.toString(), "--set", "training.seed=2", "--out",
                otherBase.toString());
        assertEquals(0, other.code(), other.err() + other.out());

        Path ft = tmp.resolve("runs/lora");
        CliRun fine = CliRun.of("finetune", "--config", config.toString(), "--method", "lora", "--base",
                base.resolve("last.safetensors").toString(), "--out", ft.toString(), "--epochs", "3", "--lr", "3e-4");
        assertEquals(0, fine.code(), fine.err() + fine.out());
        List<String> history = Files.readAllLines(ft.resolve("history.csv"));
        List<String> header = List.of(history.get(0).split(","));
        int miouColumn = header.indexOf("miou");
        String best = null;
        double bestValue = -1;
        for (String row : history.subList(1, history.size())) {
            String miou = row.split(",")[miouColumn];
            // The trainer keeps the later epoch on a tie.
            if (Double.parseDouble(miou) >= bestValue) {
                bestValue = Double.parseDouble(miou);
                best = miou;
            }
        }

        Path eval = tmp.resolve("eval");
        CliRun ev = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), "--adapter", ft.resolve("adapter-best").toString(),
                "--split", "val", "--out", eval.toString());
        assertEquals(0, ev.code(), ev.err() + ev.out());
        JsonNode metrics = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
        assertEquals(best, String.format(Locale.ROOT, "%.6g", metrics.path("miou").asDouble()),
                "eval --adapter against history.csv " + history);

        // The adapter on another base of the same architecture: refused in one line, unless forced.
        Path refused = tmp.resolve("eval-other");
        CliRun wrong = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                otherBase.resolve("best.safetensors").toString(), "--adapter", ft.resolve("adapter-best").toString(),
                "--split", "val", "--out", refused.toString());
        assertEquals(2, wrong.code(), wrong.err() + wrong.out());
        assertTrue(wrong.err().startsWith("error: " + ft.resolve("adapter-best") + ": adapter trained on another "
                + "base model (base "), wrong.err());
        assertTrue(wrong.err().contains("--force-base"), wrong.err());
        assertEquals(1, wrong.err().strip().lines().count(), wrong.err());
        assertTrue(!Files.exists(refused), "nothing written for a refused adapter");
        CliRun forced = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                otherBase.resolve("best.safetensors").toString(), "--adapter", ft.resolve("adapter-best").toString(),
                "--split", "val", "--out", refused.toString(), "--force-base");
        assertEquals(0, forced.code(), forced.err() + forced.out());

        // Continuing the fine-tuning run on another base is refused before anything changes.
        byte[] record = Files.readAllBytes(ft.resolve("base.json"));
        byte[] last = Files.readAllBytes(ft.resolve("last.safetensors"));
        CliRun resume = CliRun.of("finetune", "--config", config.toString(), "--method", "lora", "--base",
                otherBase.resolve("best.safetensors").toString(), "--out", ft.toString(), "--epochs", "3", "--lr",
                "3e-4");
        assertEquals(2, resume.code(), resume.err() + resume.out());
        assertTrue(resume.err().startsWith("error: " + ft + " was started on base "), resume.err());
        assertArrayEquals(record, Files.readAllBytes(ft.resolve("base.json")));
        assertArrayEquals(last, Files.readAllBytes(ft.resolve("last.safetensors")));
    }
}
