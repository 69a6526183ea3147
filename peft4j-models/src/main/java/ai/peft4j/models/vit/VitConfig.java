package ai.peft4j.models.vit;

import java.util.Locale;

/**
 * Hyper-parameters of a Vision Transformer, with timm's defaults for what is not set: LayerNorm eps 1e-6, exact
 * GELU, biased qkv, class-token pooling.
 *
 * @param imageSize side of the square input the position embedding is made for
 * @param patchSize side of the non-overlapping patches
 * @param inChannels image channels
 * @param numClasses classes of the head, 0 for a model that returns the pooled features
 * @param embedDim token width
 * @param depth number of blocks
 * @param heads attention heads per block
 * @param mlpRatio hidden width of the block MLP relative to {@code embedDim}
 * @param qkvBias whether the qkv projection has a bias
 * @param dropRate dropout after the position embedding, in the MLP and after the attention projection
 * @param attnDropRate dropout on attention weights
 * @param dropPathRate stochastic depth of the last block; earlier blocks get a linear ramp from 0
 */
public record VitConfig(int imageSize, int patchSize, int inChannels, int numClasses, int embedDim, int depth,
        int heads, float mlpRatio, boolean qkvBias, float dropRate, float attnDropRate, float dropPathRate) {

    /** Names accepted by {@link #preset}. */
    public static final String PRESETS = "vit-fixture, vit-mini, vit-s16, vit-b16";

    public VitConfig {
        if (imageSize < 1 || patchSize < 1 || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " must be a positive multiple of the patch "
                    + "size " + patchSize);
        }
        if (embedDim < 1 || heads < 1 || embedDim % heads != 0) {
            throw new IllegalArgumentException("embed dim " + embedDim + " must divide into " + heads + " heads");
        }
        if (depth < 0 || numClasses < 0 || inChannels < 1 || mlpRatio <= 0) {
            throw new IllegalArgumentException("depth " + depth + ", classes " + numClasses + ", channels "
                    + inChannels + ", mlp ratio " + mlpRatio + " out of range");
        }
    }

    /** The reference fixtures' model: 64x64 input, patch 16, dim 64, depth 2, 2 heads. */
    public static VitConfig fixture(int numClasses) {
        return new VitConfig(64, 16, 3, numClasses, 64, 2, 2, 4f, true, 0f, 0f, 0f);
    }

    /**
     * A ViT small enough to train on two CPU cores: 64x64 input, patch 8 (64 patches), dim 96, depth 6, 3 heads.
     * Depth 6 takes block expansion with 1, 2, 3 or 6 added blocks.
     */
    public static VitConfig mini(int numClasses) {
        return new VitConfig(64, 8, 3, numClasses, 96, 6, 3, 4f, true, 0f, 0f, 0f);
    }

    /** ViT-S/16 at 224x224 (timm {@code vit_small_patch16_224}, DINO ViT-S/16): dim 384, depth 12, 6 heads. */
    public static VitConfig small16(int numClasses) {
        return new VitConfig(224, 16, 3, numClasses, 384, 12, 6, 4f, true, 0f, 0f, 0f);
    }

    /** ViT-B/16 at 224x224 (timm {@code vit_base_patch16_224}): dim 768, depth 12, 12 heads. */
    public static VitConfig base16(int numClasses) {
        return new VitConfig(224, 16, 3, numClasses, 768, 12, 12, 4f, true, 0f, 0f, 0f);
    }

    /** A preset by name: {@code vit-fixture}, {@code vit-mini}, {@code vit-s16} or {@code vit-b16}. */
    public static VitConfig preset(String name, int numClasses) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "vit-fixture":
                return fixture(numClasses);
            case "vit-mini":
                return mini(numClasses);
            case "vit-s16":
            case "vit_small_patch16_224":
                return small16(numClasses);
            case "vit-b16":
            case "vit_base_patch16_224":
                return base16(numClasses);
            default:
                throw new IllegalArgumentException("unknown ViT preset '" + name + "' (known: " + PRESETS + ")");
        }
    }

    /** Patches per side. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Tokens per image, the class token included. */
    public int tokens() {
        return gridSize() * gridSize() + 1;
    }

    public VitConfig withNumClasses(int classes) {
        return new VitConfig(imageSize, patchSize, inChannels, classes, embedDim, depth, heads, mlpRatio, qkvBias,
                dropRate, attnDropRate, dropPathRate);
    }

    public VitConfig withImageSize(int size) {
        return new VitConfig(size, patchSize, inChannels, numClasses, embedDim, depth, heads, mlpRatio, qkvBias,
                dropRate, attnDropRate, dropPathRate);
    }

    public VitConfig withDepth(int blocks) {
        return new VitConfig(imageSize, patchSize, inChannels, numClasses, embedDim, blocks, heads, mlpRatio, qkvBias,
                dropRate, attnDropRate, dropPathRate);
    }

    /** Stochastic depth of block {@code i}: a linear ramp from 0 to {@code dropPathRate}, as timm spaces it. */
    public float dropPath(int i) {
        return depth <= 1 ? 0f : dropPathRate * i / (depth - 1);
    }
}
