package ai.peft4j.train.promptable;

import ai.peft4j.core.metrics.ClassRegions;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prompts derived from a binary defect mask (0 background, 1 defect, 2 ignored): the 8-connected defect regions
 * are found with {@link ClassRegions}, and each region gives one prompt whose target is that region alone.
 */
public final class MaskPrompts {
    /** The ignore value of a binary mask. */
    public static final int IGNORE = 2;

    private MaskPrompts() {}

    /** One prompt for training: a region drawn at random (see {@link PromptMode} for images without a defect). */
    public static MaskPrompt sample(int[] mask, int width, int height, PromptMode mode, SplittableRandom random) {
        if (mode == PromptMode.NONE) {
            return new MaskPrompt(mode, new float[0], 0, mask.clone());
        }
        ClassRegions regions = ClassRegions.of(mask, width, height, 1, 2);
        if (regions.count() == 0) {
            return empty(mask, width, height, mode, random);
        }
        return prompt(mask, width, height, regions, random.nextInt(regions.count()), mode, random);
    }

    /** One prompt per defect region, in raster order of the regions; none for an image without a defect. */
    public static List<MaskPrompt> all(int[] mask, int width, int height, PromptMode mode, SplittableRandom random) {
        List<MaskPrompt> out = new ArrayList<>();
        if (mode == PromptMode.NONE) {
            out.add(new MaskPrompt(mode, new float[0], 0, mask.clone()));
            return out;
        }
        ClassRegions regions = ClassRegions.of(mask, width, height, 1, 2);
        for (int r = 0; r < regions.count(); r++) {
            out.add(prompt(mask, width, height, regions, r, mode, random));
        }
        return out;
    }

    private static MaskPrompt prompt(int[] mask, int width, int height, ClassRegions regions, int r, PromptMode mode,
            SplittableRandom random) {
        int[] target = new int[mask.length];
        int pick = random.nextInt(regions.pixels(r));
        int px = -1;
        int py = -1;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] == IGNORE) {
                target[i] = IGNORE;
            } else if (regions.regionAt(i) == r) {
                target[i] = 1;
                if (pick-- == 0) {
                    px = i % width;
                    py = i / width;
                }
            }
        }
        if (mode == PromptMode.POINT) {
            return new MaskPrompt(mode, new float[] {px, py}, 1, target);
        }
        return new MaskPrompt(mode, new float[] {regions.x0(r), regions.y0(r), regions.x1(r), regions.y1(r)}, 1,
                target);
    }

    private static MaskPrompt empty(int[] mask, int width, int height, PromptMode mode, SplittableRandom random) {
        int[] target = new int[mask.length];
        for (int i = 0; i < mask.length; i++) {
            target[i] = mask[i] == IGNORE ? IGNORE : 0;
        }
        if (mode == PromptMode.BOX) {
            return new MaskPrompt(mode, new float[] {0, 0, width - 1, height - 1}, 1, target);
        }
        int background = 0;
        for (int v : mask) {
            background += v == 0 ? 1 : 0;
        }
        int pick = background == 0 ? 0 : random.nextInt(background);
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] == 0 && pick-- == 0) {
                return new MaskPrompt(mode, new float[] {i % width, i / width}, 0, target);
            }
        }
        return new MaskPrompt(mode, new float[] {width / 2f, height / 2f}, 0, target);
    }

    /**
     * The binary defect mask of a class mask: 0 stays background, {@code ignore} (the class count) becomes
     * {@link #IGNORE}, every other class becomes 1.
     */
    public static int[] binary(int[] classes, int ignore) {
        int[] out = new int[classes.length];
        for (int i = 0; i < classes.length; i++) {
            int c = classes[i];
            out[i] = c == 0 ? 0 : c >= ignore || c < 0 ? IGNORE : 1;
        }
        return out;
    }
}
