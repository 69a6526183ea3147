package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A learning test on real data: the tiny ViT, trained from scratch on part of NEU-DET's published train split
 * (class from the file name), beats chance (1/6) on part of its test split.
 */
class NeuDetClassificationTest {
    @TempDir
    Path tmp;

    @Test
    void tinyVit_fromScratch_beatsChanceOnNeuDet() throws Exception {
        Path data = NeuDetSubset.write(tmp, 40, 20);
        Path run = tmp.resolve("runs/neu-det");
        Path config = tmp.resolve("neu-det.yaml");
        Files.writeString(config, """
                task: classification
                model:
                  name: vit
                  backbone: vit-mini
                  image_size: 64
                data:
                  layout: name-class
                  root: %s
                  val_split: ""
                training:
                  epochs: 4
                  batch: 16
                  optimizer: adamw
                  lr: 1.0e-3
                  weight_decay: 0.05
                  workers: 1
                output: %s
                """.formatted(data, run));
        long t0 = System.nanoTime();
        CliRun train = CliRun.of("train", "--config", config.toString());
        assertEquals(0, train.code(), train.err() + train.out());
        CliRun ev = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", tmp.resolve("eval").toString());
        assertEquals(0, ev.code(), ev.err() + ev.out());
        double seconds = (System.nanoTime() - t0) / 1e9;
        JsonNode m = new ObjectMapper().readTree(tmp.resolve("eval/metrics.json").toFile());
        assertEquals(120, m.path("images").asInt());
        double top1 = m.path("top1").asDouble();
        System.out.printf("NEU-DET tiny ViT: top-1 %.3f, top-5 %.3f in %.0f s%n", top1,
                m.path("top_k_accuracy").asDouble(), seconds);
        // Chance is 1/6; 0.35 leaves room for the seed's luck yet fails a model that learned nothing.
        assertTrue(top1 > 0.35, ev.out());
    }
}
