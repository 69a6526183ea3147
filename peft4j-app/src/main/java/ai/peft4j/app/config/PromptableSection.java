package ai.peft4j.app.config;

import java.util.List;
import java.util.Locale;

/**
 * How a promptable run ({@code task: promptable}, a model of the SAM family) is prompted and trained. Every defect
 * class counts as defect: the model answers one binary mask per prompt.
 *
 * @param prompt {@code point} (a click inside a defect region, Medical-SAM-Adapter's training prompt), {@code box}
 *     (the region's bounding box) or {@code none} (prompt-free: one mask of all defects, no sparse prompt)
 * @param loss {@code bce} (the published {@code BCEWithLogitsLoss(pos_weight)}) or {@code bce+dice}
 * @param posWeight the BCE's weight of defect pixels (published: 2)
 * @param classes {@code defect} (one binary mask per prompt, every defect class counted as defect) or {@code all}
 *     (prompt-free semantic segmentation, as SAMed: one decoder mask token per class of the data set, background
 *     first, trained with {@code training.loss} over the class logits and scored like a segmenter; needs
 *     {@code prompt: none})
 */
public record PromptableSection(String prompt, String loss, double posWeight, String classes) {
    public static final List<String> PROMPTS = List.of("point", "box", "none");
    public static final List<String> LOSSES = List.of("bce", "bce+dice");
    public static final List<String> CLASSES = List.of("defect", "all");

    public PromptableSection {
        prompt = prompt == null ? "point" : prompt.toLowerCase(Locale.ROOT);
        loss = loss == null ? "bce" : loss.toLowerCase(Locale.ROOT);
        classes = classes == null ? "defect" : classes.toLowerCase(Locale.ROOT);
        if (!CLASSES.contains(classes)) {
            throw new SettingException("promptable.classes", "promptable.classes must be defect (one binary mask "
                    + "per prompt) or all (prompt-free, one mask token per class), got '" + classes + "'");
        }
        if (classes.equals("all") && !prompt.equals("none")) {
            throw new SettingException("promptable.prompt", "promptable.classes: all is prompt-free (one mask token "
                    + "per class, no prompt, as SAMed): set promptable.prompt: none, got '" + prompt + "'");
        }
        if (classes.equals("all") && !loss.equals("bce")) {
            throw new SettingException("promptable.loss", "promptable.classes: all trains with training.loss over "
                    + "the class logits (ce, ce+dice, ...), not promptable.loss '" + loss + "'; leave it out");
        }
        if (!PROMPTS.contains(prompt)) {
            throw new SettingException("promptable.prompt", "promptable.prompt must be point, box or none, got '"
                    + prompt + "'");
        }
        if (!LOSSES.contains(loss)) {
            throw new SettingException("promptable.loss", "promptable.loss must be bce or bce+dice, got '" + loss
                    + "'");
        }
        if (!(posWeight > 0) || Double.isInfinite(posWeight)) {
            throw new SettingException("promptable.pos_weight", "promptable.pos_weight must be positive, got "
                    + posWeight);
        }
    }

    /** Whether the run is the prompt-free multi-class mode ({@code classes: all}). */
    public boolean allClasses() {
        return classes.equals("all");
    }
}
