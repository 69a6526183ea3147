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
 */
public record PromptableSection(String prompt, String loss, double posWeight) {
    public static final List<String> PROMPTS = List.of("point", "box", "none");
    public static final List<String> LOSSES = List.of("bce", "bce+dice");

    public PromptableSection {
        prompt = prompt == null ? "point" : prompt.toLowerCase(Locale.ROOT);
        loss = loss == null ? "bce" : loss.toLowerCase(Locale.ROOT);
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
}
