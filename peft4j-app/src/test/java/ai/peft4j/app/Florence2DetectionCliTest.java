package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.detect.DetectionModel;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.florence2.Florence2Generator;
import ai.peft4j.models.florence2.Florence2Tokenizer;
import ai.peft4j.models.florence2.GenerationConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.train.loop.Checkpoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Florence-2 detection through the command line on a handful of NEU-DET images: {@code boxes} writes the JSON
 * lines (VOC boxes quantised as worked out by hand below) and a tiny Florence-2 with fresh weights; {@code finetune}
 * trains hf-lora on it for a few steps (the training loss falls); the saved adapter, loaded again, generates what
 * the trained weights in the last checkpoint generate; {@code eval} writes mAP; {@code predict} draws the boxes;
 * bad lines exit 2 naming the file and line.
 */
class Florence2DetectionCliTest {
    @TempDir
    Path tmp;

    @Test
    void boxesFinetuneEvalPredict_onNeuDet() throws Exception {
        Path neu = SharedFiles.require("data/neu-det");
        Path data = tmp.resolve("boxes");
        Path base = tmp.resolve("florence2-tiny");
        CliRun boxes = CliRun.of("boxes", neu.toString(), "--out", data.toString(), "--splits", "train,val",
                "--limit", "8", "--starter", base.toString(), "--preset", "tiny");
        assertEquals(0, boxes.code(), boxes.err() + boxes.out());
        assertTrue(boxes.out().contains("Labels    crazing\n"), boxes.out());
        List<String> val = Files.readAllLines(data.resolve("val.jsonl"));
        assertEquals(8, val.size());
        assertEquals(8, Files.readAllLines(data.resolve("train.jsonl")).size());
        // crazing_10.xml, val's second id: 200x200, boxes 60,20-194,69 and 9,84-197,198 (1-based inclusive), so
        // spans [59, 194] x [19, 69] and [8, 197] x [83, 198]; a bin is 0.2 pixels: 59 / 0.2 = 295, and so on.
        JsonNode second = new ObjectMapper().readTree(val.get(1));
        assertEquals("crazing<loc_295><loc_95><loc_970><loc_345>crazing<loc_40><loc_415><loc_985><loc_990>",
                second.path("suffix").asText());
        assertEquals("<OD>", second.path("prefix").asText());
        assertTrue(Files.isRegularFile(data.resolve(second.path("image").asText())));

        Path run = tmp.resolve("run");
        Path config = tmp.resolve("detect.yaml");
        Files.writeString(config, """
                task: detection
                model:
                  name: florence2
                  image_size: 64
                data:
                  layout: jsonl
                  root: %s
                method:
                  name: hf-lora
                  options:
                    r: 8
                    lora_alpha: 16
                    target_modules: [q_proj, k_proj, v_proj, lm_head, fc2, fc1]
                training:
                  epochs: 4
                  batch: 4
                  optimizer: adamw
                  lr: 3.0e-3
                  schedule: constant
                  val_every: 2
                  best_metric: val_loss
                  workers: 1
                output: %s
                """.formatted(data, run));
        CliRun ft = CliRun.of("finetune", "--config", config.toString(), "--base", base.toString());
        assertEquals(0, ft.code(), ft.err() + ft.out());
        List<String> history = Files.readAllLines(run.resolve("history.csv"));
        assertEquals(5, history.size(), String.join("\n", history));
        int lossColumn = List.of(history.get(0).split(",")).indexOf("train_loss");
        double first = Double.parseDouble(history.get(1).split(",")[lossColumn]);
        double last = Double.parseDouble(history.get(4).split(",")[lossColumn]);
        assertTrue(last < 0.8 * first, "training loss " + first + " -> " + last);
        assertTrue(Files.isRegularFile(run.resolve("adapter/adapter_model.safetensors")));

        // The adapter read back generates exactly what the trained model of the last checkpoint generates.
        GenerationConfig greedy = GenerationConfig.florence2().withNumBeams(1).withMaxNewTokens(24);
        long[] fromCheckpoint;
        long[] fromAdapter;
        Path image = data.resolve(second.path("image").asText());
        try (NDManager m = EngineSetup.newManager(); Florence2Tokenizer tok = Florence2Tokenizer.read(base)) {
            DetectionModel trained = DetectionModel.load(base, m);
            MethodRegistry.create("hf-lora", MethodRegistry.configWith("hf-lora", Map.of("r", 8, "lora_alpha", 16,
                    "target_modules", List.of("q_proj", "k_proj", "v_proj", "lm_head", "fc2", "fc1"))),
                    ai.peft4j.peft.MethodInputs.none()).attach(trained);
            trained.loadStateDict(Checkpoint.read(run.resolve("last.safetensors"), m).modelState(), true);
            trained.eval();
            fromCheckpoint = DetectionRuns.generate(trained, tok, new Florence2Generator(trained, greedy), m, image,
                    "<OD>", 64).text().chars().asLongStream().toArray();
            DetectionModel reloaded = DetectionModel.load(base, m);
            AdapterFiles.load(run.resolve("adapter"), reloaded, m);
            reloaded.eval();
            fromAdapter = DetectionRuns.generate(reloaded, tok, new Florence2Generator(reloaded, greedy), m, image,
                    "<OD>", 64).text().chars().asLongStream().toArray();
            DetectionModel plain = DetectionModel.load(base, m);
            plain.eval();
            long[] fromBase = DetectionRuns.generate(plain, tok, new Florence2Generator(plain, greedy), m, image,
                    "<OD>", 64).text().chars().asLongStream().toArray();
            assertFalse(java.util.Arrays.equals(fromBase, fromAdapter), "the adapter changes nothing");
        }
        assertTrue(fromCheckpoint.length > 0);
        assertArrayEquals(fromCheckpoint, fromAdapter);

        CliRun ev = CliRun.of("eval", "--config", config.toString(), "--checkpoint", base.toString(), "--adapter",
                run.resolve("adapter").toString(), "--split", "val", "--beams", "1", "--max-new-tokens", "24",
                "--out", tmp.resolve("eval").toString());
        assertEquals(0, ev.code(), ev.err() + ev.out());
        JsonNode metrics = new ObjectMapper().readTree(tmp.resolve("eval/metrics.json").toFile());
        assertEquals(8, metrics.path("images").asInt());
        double map50 = metrics.path("map50").asDouble(-1);
        assertTrue(map50 >= 0 && map50 <= 1, "mAP@0.5 " + map50);
        assertEquals(List.of("crazing"), List.of(metrics.path("per_class").get(0).path("class").asText()));
        assertEquals(8, Files.readAllLines(tmp.resolve("eval/predictions.jsonl")).size());
        // The confusion matrix: one class and background; each true box is counted once in its row, each
        // detection once in its column, and nothing is background-as-background.
        JsonNode cm = metrics.path("confusion_matrix");
        assertEquals("[\"crazing\",\"background\"]", cm.path("labels").toString());
        int truthBoxes = 0;
        for (String line : val) {
            truthBoxes += new ObjectMapper().readTree(line).path("suffix").asText().split("<loc_", -1).length / 4;
        }
        JsonNode counts = cm.path("counts");
        assertEquals(truthBoxes, counts.get(0).get(0).asLong() + counts.get(0).get(1).asLong());
        assertEquals(metrics.path("per_class").get(0).path("detections").asLong(),
                counts.get(0).get(0).asLong() + counts.get(1).get(0).asLong());
        assertEquals(0, counts.get(1).get(1).asLong());
        assertEquals(314, ImageIO.read(tmp.resolve("eval/confusion_matrix.png").toFile()).getWidth());
        assertTrue(Files.readString(tmp.resolve("eval/report.md")).contains("| truth \\ prediction | crazing | "
                + "background |"));

        CliRun pr = CliRun.of("predict", "--config", config.toString(), "--checkpoint", base.toString(),
                "--adapter", run.resolve("adapter").toString(), "--beams", "1", "--max-new-tokens", "24",
                "--out", tmp.resolve("pred").toString(), image.toString());
        assertEquals(0, pr.code(), pr.err() + pr.out());
        BufferedImage drawn = ImageIO.read(tmp.resolve("pred/crazing_10_boxes.png").toFile());
        assertEquals(200, drawn.getWidth());
        JsonNode preds = new ObjectMapper().readTree(tmp.resolve("pred/predictions.json").toFile());
        assertEquals(1, preds.size());
    }

    @Test
    void badJsonlLine_exitsTwoNamingFileAndLine() throws Exception {
        Path data = tmp.resolve("boxes");
        Files.createDirectories(data);
        ImageIO.write(new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB), "png", data.resolve("a.png").toFile());
        Files.writeString(data.resolve("train.jsonl"), """
                {"image": "a.png", "prefix": "<OD>", "suffix": "x<loc_1><loc_2><loc_3><loc_4>"}
                {"image": "a.png", "suffix": "x<loc_1><loc_2><loc_3><loc_4>"}
                """);
        Files.writeString(data.resolve("val.jsonl"), """
                {"image": "a.png", "prefix": "<OD>", "boxes": [[0, 0, 41, 10]], "labels": ["x"]}
                """);
        Path config = tmp.resolve("detect.yaml");
        Files.writeString(config, """
                task: detection
                model:
                  name: florence2
                  image_size: 64
                  init: %s
                data:
                  layout: jsonl
                  root: %s
                method:
                  name: hf-lora
                output: %s
                """.formatted(tmp.resolve("none"), data, tmp.resolve("run")));
        CliRun ft = CliRun.of("finetune", "--config", config.toString());
        assertEquals(2, ft.code(), ft.err() + ft.out());
        assertTrue(ft.err().contains(data.resolve("train.jsonl") + ":2: missing field 'prefix'"), ft.err());
        assertFalse(ft.err().contains("\tat "), ft.err());
        Files.writeString(data.resolve("train.jsonl"), """
                {"image": "a.png", "prefix": "<OD>", "suffix": "x<loc_1><loc_2><loc_3><loc_4>"}
                """);
        CliRun ft2 = CliRun.of("finetune", "--config", config.toString());
        assertEquals(2, ft2.code(), ft2.err() + ft2.out());
        assertTrue(ft2.err().contains(data.resolve("val.jsonl") + ":1: box 1 [0.0, 0.0, 41.0, 10.0] lies outside "
                + "the image (40x30)"), ft2.err());
    }
}
