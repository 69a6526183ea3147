package ai.peft4j.app.config;

import java.util.List;

/**
 * How a classification run ({@code task: classification}) reads images and scores them; peft-vit's defaults.
 *
 * @param mean per-channel mean subtracted from pixels in [0, 1] (published 0.5, 0.5, 0.5)
 * @param std per-channel divisor after that (published 0.5, 0.5, 0.5)
 * @param minScale smallest share of the image area a random resized crop covers (published 0.08)
 * @param flip horizontal flips in training (published: yes)
 * @param labelSmoothing label smoothing of the soft targets (published 0)
 * @param newHead replace a base checkpoint's head when its class count is not the data's: a fresh head, zeroed so
 *     that it is the same at every load (peft-vit draws it at random)
 */
public record ClassificationSection(List<Double> mean, List<Double> std, double minScale, boolean flip,
        double labelSmoothing, boolean newHead) {
    public ClassificationSection {
        mean = mean == null ? List.of(0.5, 0.5, 0.5) : List.copyOf(mean);
        std = std == null ? List.of(0.5, 0.5, 0.5) : List.copyOf(std);
        if (mean.size() != 3 || std.size() != 3 || std.stream().anyMatch(v -> !(v > 0))) {
            throw new SettingException("classification.mean", "classification.mean and std take three values (R, G, "
                    + "B), std positive; got " + mean + " and " + std);
        }
        if (!(minScale > 0 && minScale <= 1)) {
            throw new SettingException("classification.min_scale", "classification.min_scale must be in (0, 1], got "
                    + minScale);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new SettingException("classification.label_smoothing", "classification.label_smoothing must be in "
                    + "[0, 1), got " + labelSmoothing);
        }
    }
}
