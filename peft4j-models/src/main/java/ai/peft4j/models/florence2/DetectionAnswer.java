package ai.peft4j.models.florence2;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads boxes from a generated {@code <OD>} answer as the Florence-2 processor's
 * {@code post_process_generation(task="<OD>")} does ({@code description_with_bboxes}), quirks included, so results
 * equal the published ones: {@code <s>}, {@code </s>} and {@code <pad>} are removed; a phrase is a run of characters
 * other than {@code <} followed by four or more {@code <loc_N>} tokens, and each full group of four becomes a box
 * (a fifth to seventh token is ignored); the label is the text before the first {@code <loc_}, trimmed, not
 * lower-cased, with non-ASCII characters dropped; a phrase without four locations is dropped whole; and because a
 * phrase may start inside a tag, a {@code loc_4>} fragment of an unmatched location can become part of a label.
 *
 * @param labels one label per box
 * @param boxes pixel boxes {@code x1, y1, x2, y2} (bin centres)
 */
public record DetectionAnswer(List<String> labels, List<float[]> boxes) {
    private static final Pattern PHRASE = Pattern.compile("([^<]+(?:<loc_\\d+>){4,})");
    private static final Pattern LABEL = Pattern.compile("^\\s*(.*?)(?=<od>|</od>|<box>|</box>|<bbox>|</bbox>|<loc_)");
    private static final Pattern BOX = Pattern.compile("<loc_(\\d+)><loc_(\\d+)><loc_(\\d+)><loc_(\\d+)>");

    public DetectionAnswer {
        labels = List.copyOf(labels);
        boxes = List.copyOf(boxes);
    }

    /** Parses decoded text (special tokens written out) for an image of {@code width x height} pixels. */
    public static DetectionAnswer parse(String text, int width, int height) {
        String t = text.replace("<s>", "").replace("</s>", "").replace("<pad>", "");
        BoxQuantizer quantizer = BoxQuantizer.florence2();
        List<String> labels = new ArrayList<>();
        List<float[]> boxes = new ArrayList<>();
        Matcher phrases = PHRASE.matcher(t);
        while (phrases.find()) {
            String phrase = phrases.group(1);
            // The published code strips "<ground>" and then overwrites that with the "<obj>" removal; only the
            // latter takes effect.
            String stripped = phrase.replaceFirst(Pattern.quote("<obj>"), "");
            if (stripped.isEmpty()) {
                continue;
            }
            Matcher label = LABEL.matcher(stripped);
            if (!label.find()) {
                continue;
            }
            String name = asciiOnly(label.group().strip());
            Matcher box = BOX.matcher(phrase);
            while (box.find()) {
                int[] bins = new int[4];
                for (int j = 0; j < 4; j++) {
                    bins[j] = Integer.parseInt(box.group(j + 1));
                }
                labels.add(name);
                boxes.add(quantizer.dequantize(bins, width, height));
            }
        }
        return new DetectionAnswer(labels, boxes);
    }

    private static String asciiOnly(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 128) {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
