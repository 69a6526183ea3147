package ai.peft4j.models.efficientformer;

import java.util.Arrays;

/**
 * Hyper-parameters of an EfficientFormerV2 backbone.
 *
 * @param depths blocks per stage
 * @param widths channels per stage
 * @param expansionRatios MLP expansion of each block, per stage
 * @param vitNum how many of the last blocks of stages 3 and 4 are attention blocks
 * @param resolution the input side the attention blocks are built for (their position biases fix the grid)
 * @param dropPathRate stochastic depth of the last block; earlier blocks get a linear ramp from 0
 * @param layerScaleInit initial value of the per-channel residual scales
 */
public record EfficientFormerV2Config(int[] depths, int[] widths, int[][] expansionRatios, int vitNum,
        int resolution, float dropPathRate, float layerScaleInit) {
    public EfficientFormerV2Config {
        depths = depths.clone();
        widths = widths.clone();
        int[][] ratios = new int[expansionRatios.length][];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = expansionRatios[i].clone();
        }
        expansionRatios = ratios;
        if (depths.length != 4 || widths.length != 4 || expansionRatios.length != 4) {
            throw new IllegalArgumentException("EfficientFormerV2 has 4 stages");
        }
        for (int i = 0; i < 4; i++) {
            if (expansionRatios[i].length != depths[i]) {
                throw new IllegalArgumentException("stage " + i + " has " + depths[i] + " blocks but "
                        + expansionRatios[i].length + " expansion ratios");
            }
        }
        if (resolution < 32) {
            throw new IllegalArgumentException("resolution must be at least 32, got " + resolution);
        }
    }

    /** EfficientFormerV2-S0: depths 2-2-6-4, widths 32-48-96-176, two attention blocks in stages 3 and 4. */
    public static EfficientFormerV2Config s0() {
        return new EfficientFormerV2Config(new int[] {2, 2, 6, 4}, new int[] {32, 48, 96, 176},
                new int[][] {{4, 4}, {4, 4}, {4, 3, 3, 3, 4, 4}, {4, 3, 3, 4}}, 2, 224, 0f, 1e-5f);
    }

    /** The grid side of stage {@code i} at the configured resolution: {@code ceil(resolution / 2^(i+2))}. */
    public int stageResolution(int i) {
        int div = 1 << (i + 2);
        return (resolution + div - 1) / div;
    }

    public int totalBlocks() {
        return Arrays.stream(depths).sum();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EfficientFormerV2Config c && Arrays.equals(depths, c.depths)
                && Arrays.equals(widths, c.widths) && Arrays.deepEquals(expansionRatios, c.expansionRatios)
                && vitNum == c.vitNum && resolution == c.resolution && dropPathRate == c.dropPathRate
                && layerScaleInit == c.layerScaleInit;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(depths) + Arrays.hashCode(widths) + resolution;
    }

    @Override
    public String toString() {
        return "EfficientFormerV2(depths " + Arrays.toString(depths) + ", widths " + Arrays.toString(widths)
                + ", vit " + vitNum + ", at " + resolution + ")";
    }
}
