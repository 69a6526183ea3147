package ai.peft4j.models.florence2;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Florence-2 processor's task tokens and the sentences they stand for ({@code _construct_prompts}): a task
 * without input must be the whole prompt ({@code <OD>}); a task with input is replaced by its sentence with the
 * rest of the prompt filled in ({@code <OPEN_VOCABULARY_DETECTION>broken weft}); anything else passes unchanged.
 */
public final class TaskPrompts {
    private static final Map<String, String> WITHOUT_INPUT = new LinkedHashMap<>();
    private static final Map<String, String> WITH_INPUT = new LinkedHashMap<>();

    static {
        WITHOUT_INPUT.put("<OCR>", "What is the text in the image?");
        WITHOUT_INPUT.put("<OCR_WITH_REGION>", "What is the text in the image, with regions?");
        WITHOUT_INPUT.put("<CAPTION>", "What does the image describe?");
        WITHOUT_INPUT.put("<DETAILED_CAPTION>", "Describe in detail what is shown in the image.");
        WITHOUT_INPUT.put("<MORE_DETAILED_CAPTION>", "Describe with a paragraph what is shown in the image.");
        WITHOUT_INPUT.put("<OD>", "Locate the objects with category name in the image.");
        WITHOUT_INPUT.put("<DENSE_REGION_CAPTION>", "Locate the objects in the image, with their descriptions.");
        WITHOUT_INPUT.put("<REGION_PROPOSAL>", "Locate the region proposals in the image.");
        WITH_INPUT.put("<CAPTION_TO_PHRASE_GROUNDING>", "Locate the phrases in the caption: {input}");
        WITH_INPUT.put("<REFERRING_EXPRESSION_SEGMENTATION>", "Locate {input} in the image with mask");
        WITH_INPUT.put("<REGION_TO_SEGMENTATION>", "What is the polygon mask of region {input}");
        WITH_INPUT.put("<OPEN_VOCABULARY_DETECTION>", "Locate {input} in the image.");
        WITH_INPUT.put("<REGION_TO_CATEGORY>", "What is the region {input}?");
        WITH_INPUT.put("<REGION_TO_DESCRIPTION>", "What does the region {input} describe?");
        WITH_INPUT.put("<REGION_TO_OCR>", "What text is in the region {input}?");
    }

    private TaskPrompts() {}

    /** The task tokens, those taking no input first, in the processor's order. */
    public static List<String> tasks() {
        List<String> out = new ArrayList<>(WITHOUT_INPUT.keySet());
        out.addAll(WITH_INPUT.keySet());
        return out;
    }

    /** The sentence the model reads for a prompt. */
    public static String construct(String prompt) {
        String text = prompt;
        for (Map.Entry<String, String> e : WITHOUT_INPUT.entrySet()) {
            if (text.contains(e.getKey())) {
                if (!text.equals(e.getKey())) {
                    throw new IllegalArgumentException("task token " + e.getKey()
                            + " must be the whole prompt, got '" + prompt + "'");
                }
                text = e.getValue();
                break;
            }
        }
        for (Map.Entry<String, String> e : WITH_INPUT.entrySet()) {
            if (text.contains(e.getKey())) {
                text = e.getValue().replace("{input}", text.replace(e.getKey(), ""));
                break;
            }
        }
        return text;
    }

    /** The task token a prompt holds, if any known one. */
    public static Optional<String> taskOf(String prompt) {
        for (String t : WITHOUT_INPUT.keySet()) {
            if (prompt.contains(t)) {
                return Optional.of(t);
            }
        }
        for (String t : WITH_INPUT.keySet()) {
            if (prompt.contains(t)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
