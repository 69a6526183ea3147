package ai.peft4j.models.unet;

import ai.peft4j.models.swin.SwinConfig;

/**
 * The Swin-Att-UNet of TP-LoRA.
 *
 * @param backbone the Swin encoder; its embed dim also sizes the decoder's skip projections
 * @param numClasses output classes, background included
 * @param base channels of the first CNN stage; the decoder uses {@code base * [1, 2, 4, 8, 16]}
 */
public record SwinAttUNetConfig(SwinConfig backbone, int numClasses, int base) {
    public SwinAttUNetConfig {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        if (base < 2 || base % 2 != 0) {
            throw new IllegalArgumentException("base must be an even number of channels, got " + base);
        }
        if (backbone.numStages() < 3) {
            throw new IllegalArgumentException("the decoder needs a backbone with at least 3 stages");
        }
        if (backbone.numClasses() != 0) {
            backbone = backbone.withNumClasses(0);
        }
    }

    /** The published model: base 64 on the named backbone ({@code swin-t} or {@code swin-s}). */
    public static SwinAttUNetConfig published(String backbone, int numClasses) {
        return new SwinAttUNetConfig(SwinConfig.preset(backbone), numClasses, 64);
    }

    /** The small model of the reference fixtures: Swin embed 32, depths 2-2-2-2, heads 1-2-4-8, base 16. */
    public static SwinAttUNetConfig fixture(int numClasses) {
        return new SwinAttUNetConfig(SwinConfig.fixture(), numClasses, 16);
    }

    /** Decoder widths {@code base * [1, 2, 4, 8, 16]}. */
    public int filters(int i) {
        return base << i;
    }
}
