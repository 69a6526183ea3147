package ai.peft4j.models.poolformer;

import java.util.Arrays;

/**
 * Hyper-parameters of a PoolFormer backbone.
 *
 * @param layers blocks per stage
 * @param embedDims channels per stage
 * @param mlpRatio hidden width of the block MLPs relative to their input
 * @param poolSize side of the average-pooling token mixer
 * @param layerScaleInit initial value of the per-channel residual scales
 * @param dropPathRate stochastic depth of the last block; earlier blocks get a linear ramp from 0
 */
public record PoolFormerConfig(int[] layers, int[] embedDims, float mlpRatio, int poolSize, float layerScaleInit,
        float dropPathRate) {
    public PoolFormerConfig {
        layers = layers.clone();
        embedDims = embedDims.clone();
        if (layers.length != 4 || embedDims.length != 4) {
            throw new IllegalArgumentException("PoolFormer has 4 stages, got layers " + Arrays.toString(layers)
                    + " and dims " + Arrays.toString(embedDims));
        }
        if (poolSize < 1 || poolSize % 2 == 0) {
            throw new IllegalArgumentException("pool size must be odd, got " + poolSize);
        }
    }

    /** PoolFormer-S12: 2-2-6-2 blocks on 64-128-320-512 channels (11.9 M parameters as a classifier). */
    public static PoolFormerConfig s12() {
        return new PoolFormerConfig(new int[] {2, 2, 6, 2}, new int[] {64, 128, 320, 512}, 4f, 3, 1e-5f, 0f);
    }

    /** PoolFormer-S24: 4-4-12-4 blocks. */
    public static PoolFormerConfig s24() {
        return new PoolFormerConfig(new int[] {4, 4, 12, 4}, new int[] {64, 128, 320, 512}, 4f, 3, 1e-5f, 0f);
    }

    /** PoolFormer-S36: 6-6-18-6 blocks, layer scale starting at 1e-6. */
    public static PoolFormerConfig s36() {
        return new PoolFormerConfig(new int[] {6, 6, 18, 6}, new int[] {64, 128, 320, 512}, 4f, 3, 1e-6f, 0f);
    }

    public int totalBlocks() {
        return Arrays.stream(layers).sum();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PoolFormerConfig c && Arrays.equals(layers, c.layers)
                && Arrays.equals(embedDims, c.embedDims) && mlpRatio == c.mlpRatio && poolSize == c.poolSize
                && layerScaleInit == c.layerScaleInit && dropPathRate == c.dropPathRate;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(layers) + Arrays.hashCode(embedDims);
    }

    @Override
    public String toString() {
        return "PoolFormer(layers " + Arrays.toString(layers) + ", dims " + Arrays.toString(embedDims) + ")";
    }
}
