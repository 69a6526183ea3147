package ai.peft4j.app.config;

/**
 * Which network to build.
 *
 * @param name the architecture as {@code ModelSpec} names it: {@code swin-att-unet}, {@code fastsegformer-p},
 *     {@code fastsegformer-e}, {@code fastsegformer-teacher}
 * @param backbone the backbone preset ({@code swin-t}, {@code swin-s}, {@code swin-fixture}, ...); empty for the
 *     model's default
 * @param classes output classes, background included; 0 takes the data set's class count
 * @param imageSize side of the square network input (images are letterboxed to it)
 * @param init optional weights to start from: a peft4j checkpoint or a safetensors state dict (loaded leniently,
 *     e.g. an ImageNet backbone); empty for random initialisation
 */
public record ModelSection(String name, String backbone, int classes, int imageSize, String init) {
    public ModelSection {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model.name is required (e.g. swin-att-unet)");
        }
        backbone = backbone == null ? "" : backbone;
        init = init == null ? "" : init;
        if (classes < 0) {
            throw new SettingException("model.classes", "model.classes must be 0 (from the data) or positive, got "
                    + classes);
        }
        if (imageSize < 16) {
            throw new SettingException("model.image_size", "model.image_size must be at least 16, got " + imageSize);
        }
    }
}
