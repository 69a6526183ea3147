package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.app.detect.Florence2Starter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Florence-2's bad inputs through the command line: each stops {@code finetune}, {@code eval} or {@code predict}
 * with exit code 2 and one message naming the file and the problem, no stack trace: a prompt without a task token,
 * a suffix whose {@code <loc_N>} count is not a multiple of 4 or leaves 0..999, an image that is not an image, a
 * tokenizer that does not fit the checkpoint's vocabulary.
 */
class Florence2BadInputCliTest {
    private static final String GOOD = "{\"image\": \"a.png\", \"prefix\": \"<OD>\", "
            + "\"suffix\": \"x<loc_1><loc_2><loc_300><loc_400>\"}";

    @TempDir
    Path tmp;

    private Path data;
    private Path base;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        data = tmp.resolve("boxes");
        Files.createDirectories(data);
        ImageIO.write(new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB), "png", data.resolve("a.png").toFile());
        Files.writeString(data.resolve("broken.png"), "these bytes are no image");
        Files.writeString(data.resolve("val.jsonl"), GOOD + "\n");
        base = tmp.resolve("florence2-tiny");
        Florence2Starter.write(base, "tiny", List.of("x"), 0);
        config = tmp.resolve("detect.yaml");
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
                training:
                  epochs: 1
                  batch: 1
                output: %s
                """.formatted(data, tmp.resolve("run")));
    }

    private CliRun finetuneOn(String trainLine) throws Exception {
        Files.writeString(data.resolve("train.jsonl"), GOOD + "\n" + trainLine + "\n");
        return CliRun.of("finetune", "--config", config.toString(), "--base", base.toString());
    }

    private static void assertRefused(CliRun run, String message) {
        assertEquals(2, run.code(), run.err() + run.out());
        assertTrue(run.err().contains(message), "expected '" + message + "' in: " + run.err());
        assertFalse(run.err().contains("\tat "), run.err());
    }

    @Test
    void badLines_stopFinetuneNamingFileLineAndProblem() throws Exception {
        String train = data.resolve("train.jsonl").toString();
        assertRefused(finetuneOn("{\"image\": \"a.png\", \"prefix\": \"find the defects\", "
                + "\"suffix\": \"x<loc_1><loc_2><loc_3><loc_4>\"}"), train + ":2: ");
        assertRefused(finetuneOn("{\"image\": \"a.png\", \"prefix\": \"find the defects\", "
                + "\"suffix\": \"x<loc_1><loc_2><loc_3><loc_4>\"}"), "no Florence-2 task token");
        assertRefused(finetuneOn("{\"image\": \"a.png\", \"prefix\": \"<OD>\", "
                + "\"suffix\": \"x<loc_1><loc_2><loc_3><loc_4><loc_5>\"}"), "has 5 <loc_N> tokens; a box takes 4");
        assertRefused(finetuneOn("{\"image\": \"a.png\", \"prefix\": \"<OD>\", "
                + "\"suffix\": \"x<loc_1><loc_2><loc_3><loc_1000>\"}"), "<loc_1000> is outside");
        assertRefused(finetuneOn("{\"image\": \"broken.png\", \"prefix\": \"<OD>\", "
                + "\"suffix\": \"x<loc_1><loc_2><loc_3><loc_4>\"}"), train + ":2: image " + data.resolve("broken.png")
                + " cannot be read");
        assertFalse(Files.exists(tmp.resolve("run/history.csv")));
    }

    @Test
    void tokenizerOfAnotherVocabulary_stopsFinetuneAndEval() throws Exception {
        Path vocab = base.resolve("vocab.json");
        ObjectNode v = (ObjectNode) new ObjectMapper().readTree(vocab.toFile());
        int rows = v.size();
        v.put("zzzz", rows);
        Files.writeString(vocab, v.toString());
        Files.writeString(data.resolve("train.jsonl"), GOOD + "\n");
        String expected = vocab + ": the tokenizer has ";
        CliRun ft = CliRun.of("finetune", "--config", config.toString(), "--base", base.toString());
        assertRefused(ft, expected);
        assertTrue(ft.err().contains("tokens but the model's vocabulary has"), ft.err());
        assertRefused(CliRun.of("eval", "--config", config.toString(), "--checkpoint", base.toString(), "--split",
                "val", "--out", tmp.resolve("eval").toString()), expected);
    }

    @Test
    void predict_refusesAPromptWithoutTaskTokenAndAnUnreadableImage() throws Exception {
        Path out = tmp.resolve("pred");
        assertRefused(CliRun.of("predict", "--config", config.toString(), "--checkpoint", base.toString(),
                "--prompt", "find the defects", "--out", out.toString(), data.resolve("a.png").toString()),
                "--prompt 'find the defects' holds no Florence-2 task token");
        Path broken = data.resolve("broken.png");
        assertRefused(CliRun.of("predict", "--config", config.toString(), "--checkpoint", base.toString(),
                "--beams", "1", "--max-new-tokens", "4", "--out", out.toString(), broken.toString()),
                broken.toString());
        assertFalse(Files.exists(out.resolve("predictions.json")));
    }
}
