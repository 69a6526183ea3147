package ai.peft4j.app.detect;

import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.models.florence2.BoxQuantizer;
import ai.peft4j.models.florence2.Florence2Tokenizer;
import ai.peft4j.models.florence2.TaskPrompts;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Box data for Florence-2 as JSON lines, one sample a line, in the published fine-tuning format:
 * {@code {"image": "a.jpg", "prefix": "<OD>", "suffix": "drop<loc_732><loc_481><loc_748><loc_501>"}}. Instead of
 * {@code suffix} a line may give {@code boxes} ({@code [[x1, y1, x2, y2], ...]} in pixels) and {@code labels} (one
 * per box); they are encoded as the processor does ({@link BoxQuantizer}: floor into 1,000 bins per side). Image
 * paths are relative to the file's folder unless absolute. Every line is checked as it is read, and a bad one is
 * refused naming the file, the line and the problem: a missing field, a prompt without a task token, an image that
 * is missing or cannot be read, a box outside the image or inverted, a suffix whose {@code <loc_N>} tokens are not
 * whole groups of four or leave 0..999.
 */
public final class BoxJsonl {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LOC = Pattern.compile("<loc_(\\d+)>");
    private static final Pattern PHRASE = Pattern.compile("([^<]*)((?:<loc_\\d+>)+)");

    /**
     * One sample.
     *
     * @param image the image file
     * @param prefix the task prompt, e.g. {@code <OD>}
     * @param suffix the answer the model is taught to write
     * @param width the image's width in pixels
     * @param height the image's height in pixels
     * @param line the line of the file it came from (1-based), for messages
     */
    public record Sample(Path image, String prefix, String suffix, int width, int height, int line) {}

    private BoxJsonl() {}

    /** The samples of {@code file}, each checked. */
    public static List<Sample> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": box data file not found");
        }
        Path dir = file.toAbsolutePath().getParent();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i);
            if (text.isBlank()) {
                continue;
            }
            out.add(parse(file, dir, text, i + 1));
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no samples (one JSON object a line)");
        }
        return out;
    }

    private static Sample parse(Path file, Path dir, String text, int line) {
        String where = file + ":" + line;
        JsonNode j;
        try {
            j = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not a JSON object (" + e.getOriginalMessage() + ")");
        }
        if (!j.isObject()) {
            throw new IllegalArgumentException(where + ": not a JSON object");
        }
        String image = text(j, "image", where);
        String prefix = text(j, "prefix", where);
        if (TaskPrompts.taskOf(prefix).isEmpty()) {
            throw new IllegalArgumentException(where + ": prefix '" + prefix + "' holds no Florence-2 task token "
                    + "(e.g. <OD>)");
        }
        try {
            TaskPrompts.construct(prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        Path img = dir.resolve(image);
        if (!Files.isRegularFile(img)) {
            throw new IllegalArgumentException(where + ": image " + img + " not found");
        }
        int[] size;
        try {
            size = ImageDecoder.probe(img);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": image " + img + " cannot be read (" + e.getMessage() + ")");
        }
        String suffix;
        if (j.has("suffix")) {
            suffix = text(j, "suffix", where);
            checkSuffix(suffix, where);
        } else if (j.has("boxes") || j.has("labels")) {
            suffix = encode(j, size[0], size[1], where);
        } else {
            throw new IllegalArgumentException(where + ": missing field 'suffix' (or 'boxes' with 'labels')");
        }
        return new Sample(img, prefix, suffix, size[0], size[1], line);
    }

    private static String text(JsonNode j, String field, String where) {
        JsonNode v = j.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(where + ": missing field '" + field + "'");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": field '" + field + "' must be a non-empty string, got "
                    + v);
        }
        return v.asText();
    }

    private static String encode(JsonNode j, int width, int height, String where) {
        JsonNode boxes = j.get("boxes");
        JsonNode labels = j.get("labels");
        if (boxes == null || !boxes.isArray()) {
            throw new IllegalArgumentException(where + ": missing field 'boxes' (an array of [x1, y1, x2, y2])");
        }
        if (labels == null || !labels.isArray()) {
            throw new IllegalArgumentException(where + ": missing field 'labels' (one per box)");
        }
        if (boxes.size() != labels.size()) {
            throw new IllegalArgumentException(where + ": " + boxes.size() + " boxes but " + labels.size()
                    + " labels");
        }
        List<String> names = new ArrayList<>();
        List<float[]> list = new ArrayList<>();
        for (int i = 0; i < boxes.size(); i++) {
            JsonNode b = boxes.get(i);
            if (!b.isArray() || b.size() != 4) {
                throw new IllegalArgumentException(where + ": box " + (i + 1) + " is not [x1, y1, x2, y2]: " + b);
            }
            float[] box = new float[4];
            for (int k = 0; k < 4; k++) {
                if (!b.get(k).isNumber()) {
                    throw new IllegalArgumentException(where + ": box " + (i + 1) + " has a non-number: " + b);
                }
                box[k] = (float) b.get(k).asDouble();
            }
            names.add(labels.get(i).asText());
            list.add(box);
        }
        return suffix(names, list, width, height, where);
    }

    /**
     * The answer text of labelled pixel boxes on an image of {@code width x height}, checked: each box must lie
     * inside the image with {@code x1 < x2} and {@code y1 < y2}, and each label must be text without {@code <}.
     */
    public static String suffix(List<String> labels, List<float[]> boxes, int width, int height, String where) {
        BoxQuantizer q = BoxQuantizer.florence2();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < boxes.size(); i++) {
            float[] b = boxes.get(i);
            String label = labels.get(i);
            if (label.isBlank() || label.contains("<")) {
                throw new IllegalArgumentException(where + ": box " + (i + 1) + " label '" + label
                        + "' must be non-empty text without '<'");
            }
            if (!(b[0] >= 0 && b[1] >= 0 && b[2] <= width && b[3] <= height)) {
                throw new IllegalArgumentException(where + ": box " + (i + 1) + " " + fmt(b)
                        + " lies outside the image (" + width + "x" + height + ")");
            }
            if (!(b[0] < b[2] && b[1] < b[3])) {
                throw new IllegalArgumentException(where + ": box " + (i + 1) + " " + fmt(b)
                        + " is empty or inverted (needs x1 < x2 and y1 < y2)");
            }
            sb.append(q.target(label, b, width, height));
        }
        return sb.toString();
    }

    /** Refuses a suffix whose location tokens are not groups of four in 0..999 after a label. */
    static void checkSuffix(String suffix, String where) {
        Matcher loc = LOC.matcher(suffix);
        while (loc.find()) {
            long bin = Long.parseLong(loc.group(1).length() > 6 ? "999999" : loc.group(1));
            if (bin >= Florence2Tokenizer.LOC_BINS) {
                throw new IllegalArgumentException(where + ": " + loc.group() + " is outside <loc_0>..<loc_"
                        + (Florence2Tokenizer.LOC_BINS - 1) + ">");
            }
        }
        Matcher p = PHRASE.matcher(suffix);
        while (p.find()) {
            int n = 0;
            Matcher l = LOC.matcher(p.group(2));
            while (l.find()) {
                n++;
            }
            if (n % 4 != 0) {
                throw new IllegalArgumentException(where + ": '" + p.group() + "' has " + n
                        + " <loc_N> tokens; a box takes 4 (x1, y1, x2, y2)");
            }
        }
    }

    private static String fmt(float[] b) {
        return "[" + b[0] + ", " + b[1] + ", " + b[2] + ", " + b[3] + "]";
    }

    /** Writes samples as JSON lines (image paths as given), atomically. */
    public static void write(Path file, List<ObjectNode> lines) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (ObjectNode l : lines) {
            sb.append(JSON.writeValueAsString(l)).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        AtomicFiles.write(file, o -> o.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** One line in the published format. */
    public static ObjectNode line(String image, String prefix, String suffix) {
        ObjectNode o = JSON.createObjectNode();
        o.put("prefix", prefix).put("suffix", suffix).put("image", image);
        return o;
    }
}
