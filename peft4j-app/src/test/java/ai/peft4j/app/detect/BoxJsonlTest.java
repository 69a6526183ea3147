package ai.peft4j.app.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.florence2.DetectionAnswer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Box JSON lines: boxes given as pixels are encoded as the Florence-2 processor encodes them (the fixture's
 * {@code BoxQuantizer} cases on 640x480), read back by the post-processing to the fixture's bin centres, and bad
 * lines are refused naming the file and the line.
 */
class BoxJsonlTest {
    @TempDir
    Path tmp;

    private static JsonNode fixture() throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require("fixtures/florence2/florence2_postprocess.json")
                .toFile());
    }

    @Test
    void boxesLines_encodeAsPublishedProcessor_andDecodeToPublishedCentres() throws Exception {
        JsonNode f = fixture();
        int w = f.path("image_size_wh").get(0).asInt();
        int h = f.path("image_size_wh").get(1).asInt();
        ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), "png", tmp.resolve("a.png").toFile());
        StringBuilder lines = new StringBuilder();
        int inside = 0;
        for (JsonNode c : f.path("quantize")) {
            JsonNode b = c.path("box_xyxy");
            boolean in = b.get(0).asDouble() >= 0 && b.get(1).asDouble() >= 0 && b.get(2).asDouble() <= w
                    && b.get(3).asDouble() <= h;
            if (!in) {
                continue;
            }
            inside++;
            lines.append("{\"image\": \"a.png\", \"prefix\": \"<OD>\", \"boxes\": [").append(b)
                    .append("], \"labels\": [\"").append(c.path("label").asText()).append("\"]}\n");
        }
        assertTrue(inside >= 8, "fixture boxes inside the image: " + inside);
        Path file = tmp.resolve("boxes.jsonl");
        Files.writeString(file, lines);
        List<BoxJsonl.Sample> samples = BoxJsonl.read(file);
        assertEquals(inside, samples.size());
        int i = 0;
        for (JsonNode c : f.path("quantize")) {
            JsonNode b = c.path("box_xyxy");
            if (b.get(0).asDouble() < 0 || b.get(2).asDouble() > w || b.get(3).asDouble() > h) {
                continue;
            }
            BoxJsonl.Sample s = samples.get(i++);
            assertEquals(c.path("target_string").asText(), s.suffix());
            DetectionAnswer a = DetectionAnswer.parse(s.suffix(), w, h);
            assertEquals(List.of(c.path("label").asText()), a.labels());
            for (int k = 0; k < 4; k++) {
                assertEquals(c.path("dequantized").get(k).asDouble(), a.boxes().get(0)[k], 1e-4);
            }
        }
    }

    @Test
    void badLines_areRefusedNamingFileAndLine() throws Exception {
        ImageIO.write(new BufferedImage(100, 50, BufferedImage.TYPE_INT_RGB), "png", tmp.resolve("a.png").toFile());
        Path file = tmp.resolve("bad.jsonl");
        String ok = "{\"image\": \"a.png\", \"prefix\": \"<OD>\", \"suffix\": \"drop<loc_1><loc_2><loc_3><loc_4>\"}";
        String[][] cases = {
            {"{\"image\": \"a.png\", \"prefix\": \"<OD>\"}", "missing field 'suffix'"},
            {"{\"prefix\": \"<OD>\", \"suffix\": \"x<loc_1><loc_2><loc_3><loc_4>\"}", "missing field 'image'"},
            {"{\"image\": \"a.png\", \"prefix\": \"find\", \"suffix\": \"x<loc_1><loc_2><loc_3><loc_4>\"}",
                "no Florence-2 task token"},
            {"{\"image\": \"a.png\", \"prefix\": \"<OD>\", \"suffix\": \"x<loc_1><loc_2><loc_3>\"}", "has 3 <loc_N>"},
            {"{\"image\": \"a.png\", \"prefix\": \"<OD>\", \"suffix\": \"x<loc_1><loc_2><loc_3><loc_1000>\"}",
                "<loc_1000> is outside"},
            {"{\"image\": \"b.png\", \"prefix\": \"<OD>\", \"suffix\": \"x<loc_1><loc_2><loc_3><loc_4>\"}",
                "b.png not found"},
            {"{\"image\": \"a.png\", \"prefix\": \"<OD>\", \"boxes\": [[10, 10, 101, 20]], \"labels\": [\"x\"]}",
                "box 1 [10.0, 10.0, 101.0, 20.0] lies outside the image (100x50)"},
            {"{\"image\": \"a.png\", \"prefix\": \"<OD>\", \"boxes\": [[10, 10, 5, 20]], \"labels\": [\"x\"]}",
                "inverted"},
            {"{\"image\": \"a.png\", \"prefix\": \"<OD>\", \"boxes\": [[1, 1, 5, 5]]}", "missing field 'labels'"},
            {"not json", "not a JSON object"},
        };
        for (String[] c : cases) {
            Files.writeString(file, ok + "\n\n" + c[0] + "\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BoxJsonl.read(file));
            assertTrue(e.getMessage().startsWith(file + ":3: "), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }
}
