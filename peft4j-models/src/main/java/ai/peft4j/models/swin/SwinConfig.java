package ai.peft4j.models.swin;

import java.util.Arrays;
import java.util.Locale;

/**
 * Hyper-parameters of a Swin Transformer. Presets follow the published checkpoints: Swin-T and Swin-S share
 * embed dim 96, window 7 and heads 3-6-12-24; Swin-T has depths 2-2-6-2, Swin-S 2-2-18-2.
 *
 * @param embedDim channels after patch embedding; stage k has {@code embedDim * 2^k}
 * @param depths blocks per stage
 * @param numHeads attention heads per stage
 * @param windowSize attention window side, in tokens
 * @param patchSize side of the non-overlapping patches of the stem
 * @param inChannels image channels
 * @param mlpRatio hidden width of the block MLP relative to its input
 * @param dropRate dropout after the stem, in the MLP and after the attention projection
 * @param attnDropRate dropout on attention weights
 * @param dropPathRate stochastic depth of the last block; earlier blocks get a linear ramp from 0
 * @param numClasses classes of the classification head, 0 for a backbone without one
 */
public record SwinConfig(int embedDim, int[] depths, int[] numHeads, int windowSize, int patchSize, int inChannels,
        float mlpRatio, float dropRate, float attnDropRate, float dropPathRate, int numClasses) {

    public SwinConfig {
        depths = depths.clone();
        numHeads = numHeads.clone();
        if (depths.length == 0 || depths.length != numHeads.length) {
            throw new IllegalArgumentException("depths " + Arrays.toString(depths) + " and heads "
                    + Arrays.toString(numHeads) + " must be non-empty and of equal length");
        }
        for (int i = 0; i < depths.length; i++) {
            int dim = embedDim << i;
            if (depths[i] < 1 || numHeads[i] < 1 || dim % numHeads[i] != 0) {
                throw new IllegalArgumentException("stage " + i + ": " + depths[i] + " blocks, " + numHeads[i]
                        + " heads on " + dim + " channels (channels must divide into heads)");
            }
        }
        if (windowSize < 2 || patchSize < 1 || embedDim < 1) {
            throw new IllegalArgumentException("window " + windowSize + ", patch " + patchSize + ", embed dim "
                    + embedDim + " are out of range");
        }
    }

    /** Swin-T: 28 M parameters with a 1000-class head. */
    public static SwinConfig tiny() {
        return of(96, new int[] {2, 2, 6, 2}, new int[] {3, 6, 12, 24});
    }

    /** Swin-S: 50 M parameters with a 1000-class head. */
    public static SwinConfig small() {
        return of(96, new int[] {2, 2, 18, 2}, new int[] {3, 6, 12, 24});
    }

    /** The small test configuration of the reference fixtures: embed dim 32, depths 2-2-2-2, heads 1-2-4-8. */
    public static SwinConfig fixture() {
        return of(32, new int[] {2, 2, 2, 2}, new int[] {1, 2, 4, 8});
    }

    /** A backbone (no head) with the published defaults: window 7, patch 4, MLP ratio 4, drop path 0.1. */
    public static SwinConfig of(int embedDim, int[] depths, int[] numHeads) {
        return new SwinConfig(embedDim, depths, numHeads, 7, 4, 3, 4f, 0f, 0f, 0.1f, 0);
    }

    /** A preset by name: {@code swin-t}, {@code swin-s} or {@code swin-fixture}. */
    public static SwinConfig preset(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "swin-t":
            case "swin_t":
            case "swin_t_224":
                return tiny();
            case "swin-s":
            case "swin_s":
            case "swin_s_224":
                return small();
            case "swin-fixture":
                return fixture();
            default:
                throw new IllegalArgumentException("unknown Swin preset '" + name
                        + "' (known: swin-t, swin-s, swin-fixture)");
        }
    }

    public int numStages() {
        return depths.length;
    }

    /** Channels of stage {@code k}. */
    public int stageDim(int k) {
        return embedDim << k;
    }

    public SwinConfig withNumClasses(int classes) {
        return new SwinConfig(embedDim, depths, numHeads, windowSize, patchSize, inChannels, mlpRatio, dropRate,
                attnDropRate, dropPathRate, classes);
    }

    public SwinConfig withDropPathRate(float rate) {
        return new SwinConfig(embedDim, depths, numHeads, windowSize, patchSize, inChannels, mlpRatio, dropRate,
                attnDropRate, rate, numClasses);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SwinConfig c && embedDim == c.embedDim && Arrays.equals(depths, c.depths)
                && Arrays.equals(numHeads, c.numHeads) && windowSize == c.windowSize && patchSize == c.patchSize
                && inChannels == c.inChannels && mlpRatio == c.mlpRatio && dropRate == c.dropRate
                && attnDropRate == c.attnDropRate && dropPathRate == c.dropPathRate && numClasses == c.numClasses;
    }

    @Override
    public int hashCode() {
        return 31 * embedDim + Arrays.hashCode(depths) * 17 + Arrays.hashCode(numHeads);
    }

    @Override
    public String toString() {
        return "Swin(embed " + embedDim + ", depths " + Arrays.toString(depths) + ", heads "
                + Arrays.toString(numHeads) + ", window " + windowSize + ")";
    }
}
