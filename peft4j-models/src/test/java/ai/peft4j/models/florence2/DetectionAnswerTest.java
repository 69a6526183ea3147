package ai.peft4j.models.florence2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Box quantisation and {@code <OD>} post-processing against the published processor
 * ({@code florence2_postprocess.json}): bins, {@code <loc_N>} strings and bin centres of ten boxes on 640x480, and
 * the parsed labels and boxes of eight answers, the quirky ones included. Boxes must agree to the float.
 */
class DetectionAnswerTest {
    @Test
    void boxQuantizer_matchesPublishedBinsStringsAndCentres() throws Exception {
        JsonNode fixture = Florence2Fixtures.postprocess();
        int w = fixture.path("image_size_wh").get(0).asInt();
        int h = fixture.path("image_size_wh").get(1).asInt();
        BoxQuantizer q = BoxQuantizer.florence2();
        assertEquals(10, fixture.path("quantize").size());
        for (JsonNode c : fixture.path("quantize")) {
            float[] box = floats(c.path("box_xyxy"));
            int[] bins = q.quantize(box, w, h);
            String what = c.path("target_string").asText();
            assertArrayEquals(ints(c.path("bins")), bins, what);
            assertEquals(what, q.target(c.path("label").asText(), box, w, h));
            assertArrayEquals(floats(c.path("dequantized")), q.dequantize(bins, w, h), what);
        }
    }

    @Test
    void odAnswers_parseToPublishedLabelsAndBoxes() throws Exception {
        JsonNode fixture = Florence2Fixtures.postprocess();
        int w = fixture.path("image_size_wh").get(0).asInt();
        int h = fixture.path("image_size_wh").get(1).asInt();
        JsonNode cases = fixture.path("post_process_generation_OD");
        assertEquals(8, cases.size());
        for (JsonNode c : cases) {
            String text = c.path("text").asText();
            DetectionAnswer a = DetectionAnswer.parse(text, w, h);
            List<String> labels = new ArrayList<>();
            c.path("result").path("labels").forEach(n -> labels.add(n.asText()));
            assertEquals(labels, a.labels(), text);
            JsonNode boxes = c.path("result").path("bboxes");
            assertEquals(boxes.size(), a.boxes().size(), text);
            for (int i = 0; i < boxes.size(); i++) {
                assertArrayEquals(floats(boxes.get(i)), a.boxes().get(i), text);
            }
        }
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
