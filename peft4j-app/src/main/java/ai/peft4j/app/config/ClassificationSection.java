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
 * @param mixup MixUp's alpha, 0 for none (published 0)
 * @param cutmix CutMix's alpha, 0 for none (published 0); with both, each batch takes one of them at random
 * @param newHead replace a base checkpoint's head when its class count is not the data's: a fresh head, zeroed so
 *     that it is the same at every load (peft-vit draws it at random)
 */
public record ClassificationSection(List<Double> mean, List<Double> std, double minScale, boolean flip,
        double labelSmoothing, double mixup, double cutmix, boolean newHead) {
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
        if (mixup < 0 || cutmix < 0) {
            throw new SettingException(mixup < 0 ? "classification.mixup" : "classification.cutmix", "classification"
                    + (mixup < 0 ? ".mixup" : ".cutmix") + " is an alpha: 0 (off) or positive, got "
                    + Math.min(mixup, cutmix));
        }
    }
}
