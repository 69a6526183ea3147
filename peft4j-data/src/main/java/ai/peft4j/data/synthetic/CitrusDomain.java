package ai.peft4j.data.synthetic;

import ai.peft4j.data.image.Palette;
import java.util.List;

/**
 * A kind of fruit with its own defect classes, after the TP-LoRA data sets: the source domain of the demo (orange,
 * whose classes are those of Orange-Navel-4.5k) and two targets with fewer, different classes.
 */
public enum CitrusDomain {
    /** Navel oranges: sunburn (pale diffuse patches), ulcer (small dark spots), wind scarring (beige streaks). */
    ORANGE(List.of("background", "sunburn", "ulcer", "wind scarring"), new float[] {236, 128, 28},
            new float[] {22, 24, 30}, 1.0, 0.95, 9f),
    /** Lemons: flaw (clusters of dark specks), illness (large grey-green mould patches). */
    LEMON(List.of("background", "flaw", "illness"), new float[] {238, 212, 62}, new float[] {28, 36, 52}, 1.32,
            0.85, 5f),
    /** Grapefruit: defect (brown irregular blemishes), stem (the dark green stem end). */
    GRAPEFRUIT(List.of("background", "defect", "stem"), new float[] {246, 176, 112}, new float[] {44, 34, 30}, 1.05,
            1.05, 13f);

    private final List<String> classNames;
    private final float[] peel;
    private final float[] backdrop;
    private final double elongation;
    private final double sizeFactor;
    private final float texture;

    CitrusDomain(List<String> classNames, float[] peel, float[] backdrop, double elongation, double sizeFactor,
            float texture) {
        this.classNames = classNames;
        this.peel = peel;
        this.backdrop = backdrop;
        this.elongation = elongation;
        this.sizeFactor = sizeFactor;
        this.texture = texture;
    }

    /** Class names by id, background first. */
    public List<String> classNames() {
        return classNames;
    }

    /** The VOC colours of the published citrus palettes. */
    public Palette palette() {
        return Palette.voc();
    }

    float[] peel() {
        return peel;
    }

    float[] backdrop() {
        return backdrop;
    }

    double elongation() {
        return elongation;
    }

    double sizeFactor() {
        return sizeFactor;
    }

    float texture() {
        return texture;
    }
}
