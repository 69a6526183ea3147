package ai.peft4j.models.fastsegformer;

import java.util.Locale;

/**
 * A FastSegFormer variant.
 *
 * @param backbone the feature backbone: PoolFormer-S12 (FastSegFormer-P) or EfficientFormerV2-S0 (-E)
 * @param pyramid the pyramid closing the global feature extractor
 * @param reconstructionBranch the image-reconstruction branch ({@code cnn_branch=True}, "IRB"): the head gives 32
 *     features that are enlarged to 112x112, added to a convolution of the half-size image, refined and enlarged
 *     to 224x224 logits
 * @param numClasses output classes, background included
 */
public record FastSegFormerConfig(Backbone backbone, Pyramid pyramid, boolean reconstructionBranch, int numClasses) {
    /** The backbones of the published students. */
    public enum Backbone {
        POOLFORMER_S12("poolformer-s12", "P"),
        EFFICIENTFORMER_V2_S0("efficientformerv2-s0", "E");

        private final String id;
        private final String letter;

        Backbone(String id, String letter) {
            this.id = id;
            this.letter = letter;
        }

        /** The name users give it ({@code poolformer-s12}). */
        public String id() {
            return id;
        }

        /** The letter of the published model name (FastSegFormer-P, -E). */
        public String letter() {
            return letter;
        }

        public static Backbone of(String name) {
            String n = name.toLowerCase(Locale.ROOT).replace('_', '-');
            for (Backbone b : values()) {
                if (b.id.equals(n)) {
                    return b;
                }
            }
            throw new IllegalArgumentException("unknown FastSegFormer backbone '" + name
                    + "' (known: poolformer-s12, efficientformerv2-s0)");
        }
    }

    /** The pyramid of the global feature extractor: pooling ({@code PyramidPooling}) or multi-scale convolution. */
    public enum Pyramid {
        POOLING, MULTISCALE
    }

    /** Channels of the head's output when the reconstruction branch follows it. */
    public static final int BRANCH_CHANNELS = 32;

    /** The fixed side of the reconstruction branch's half-resolution map (the published code hard-codes it). */
    public static final int BRANCH_SIDE = 112;

    public FastSegFormerConfig {
        if (backbone == null || pyramid == null) {
            throw new IllegalArgumentException("backbone and pyramid are required");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
    }

    /** The published final model on a backbone: multi-scale pyramid and reconstruction branch. */
    public static FastSegFormerConfig published(Backbone backbone, int numClasses) {
        return new FastSegFormerConfig(backbone, Pyramid.MULTISCALE, true, numClasses);
    }

    /** FastSegFormer-P as published (PoolFormer-S12, multi-scale pyramid, reconstruction branch). */
    public static FastSegFormerConfig p(int numClasses) {
        return published(Backbone.POOLFORMER_S12, numClasses);
    }

    /** FastSegFormer-E as published (EfficientFormerV2-S0, multi-scale pyramid, reconstruction branch). */
    public static FastSegFormerConfig e(int numClasses) {
        return published(Backbone.EFFICIENTFORMER_V2_S0, numClasses);
    }

    public FastSegFormerConfig withPyramid(Pyramid p) {
        return new FastSegFormerConfig(backbone, p, reconstructionBranch, numClasses);
    }

    public FastSegFormerConfig withReconstructionBranch(boolean on) {
        return new FastSegFormerConfig(backbone, pyramid, on, numClasses);
    }

    /** E.g. "FastSegFormer-P (poolformer-s12, multiscale pyramid, reconstruction branch, 4 classes)". */
    public String describe() {
        return "FastSegFormer-" + backbone.letter() + " (" + backbone.id() + ", "
                + pyramid.name().toLowerCase(Locale.ROOT) + " pyramid, "
                + (reconstructionBranch ? "reconstruction branch" : "no reconstruction branch") + ", " + numClasses
                + " classes)";
    }
}
