package ai.peft4j.models.florence2;

import java.util.List;

/**
 * The shape of Florence-2's DaViT image encoder, with the names of its {@code vision_config}. Every list has one
 * entry per stage.
 *
 * @param dims channels of each stage ({@code dim_embed})
 * @param heads spatial (window) attention heads per stage
 * @param groups channel attention groups per stage
 * @param depths pairs of spatial and channel blocks per stage
 * @param patchSize kernel of each stage's convolutional embedding
 * @param patchStride stride of each stage's convolutional embedding
 * @param patchPadding padding of each stage's convolutional embedding
 * @param patchPrenorm whether the embedding's LayerNorm comes before the convolution (on its input channels)
 * @param windowSize side of the spatial attention windows; maps are padded up to a multiple of it
 * @param mlpRatio width of the feed-forward layers relative to the stage's channels
 */
public record DaVitConfig(List<Integer> dims, List<Integer> heads, List<Integer> groups, List<Integer> depths,
        List<Integer> patchSize, List<Integer> patchStride, List<Integer> patchPadding, List<Boolean> patchPrenorm,
        int windowSize, float mlpRatio) {
    public DaVitConfig {
        dims = List.copyOf(dims);
        heads = List.copyOf(heads);
        groups = List.copyOf(groups);
        depths = List.copyOf(depths);
        patchSize = List.copyOf(patchSize);
        patchStride = List.copyOf(patchStride);
        patchPadding = List.copyOf(patchPadding);
        patchPrenorm = List.copyOf(patchPrenorm);
        int n = dims.size();
        for (List<?> l : List.of(heads, groups, depths, patchSize, patchStride, patchPadding, patchPrenorm)) {
            if (l.size() != n) {
                throw new IllegalArgumentException("DaViT needs one value per stage for every list, got " + this);
            }
        }
        for (int i = 0; i < n; i++) {
            if (dims.get(i) % heads.get(i) != 0 || dims.get(i) % groups.get(i) != 0) {
                throw new IllegalArgumentException("DaViT stage " + i + ": " + dims.get(i)
                        + " channels are not divisible by " + heads.get(i) + " heads and " + groups.get(i)
                        + " groups");
            }
        }
        if (windowSize < 1) {
            throw new IllegalArgumentException("DaViT window size must be positive, got " + windowSize);
        }
    }

    public int stages() {
        return dims.size();
    }

    /** Channels of the last stage, the width of the image tokens before projection. */
    public int outDim() {
        return dims.get(dims.size() - 1);
    }

    /** Florence-2-base: 128-256-512-1024 channels, depths 1-1-9-1, window 12. */
    public static DaVitConfig base() {
        return new DaVitConfig(List.of(128, 256, 512, 1024), List.of(4, 8, 16, 32), List.of(4, 8, 16, 32),
                List.of(1, 1, 9, 1), List.of(7, 3, 3, 3), List.of(4, 2, 2, 2), List.of(3, 1, 1, 1),
                List.of(false, true, true, true), 12, 4f);
    }

    /** The tiny encoder of the reference fixtures: 8-16-24-32 channels, depths 1-1-2-1, window 4. */
    public static DaVitConfig fixtureTiny() {
        return new DaVitConfig(List.of(8, 16, 24, 32), List.of(1, 2, 3, 4), List.of(1, 2, 3, 4),
                List.of(1, 1, 2, 1), List.of(7, 3, 3, 3), List.of(4, 2, 2, 2), List.of(3, 1, 1, 1),
                List.of(false, true, true, true), 4, 4f);
    }
}
