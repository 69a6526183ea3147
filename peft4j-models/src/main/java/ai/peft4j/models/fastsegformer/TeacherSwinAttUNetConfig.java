package ai.peft4j.models.fastsegformer;

import ai.peft4j.models.swin.SwinConfig;

/**
 * The FastSegFormer version of the Swin-Att-UNet teacher.
 *
 * @param backbone the Swin encoder; its embed dim also sizes the skip projections
 * @param numClasses output classes, background included
 * @param base channels of the half-resolution CNN stage; the decoder uses {@code base * [1, 2, 4, 8, 16]}
 */
public record TeacherSwinAttUNetConfig(SwinConfig backbone, int numClasses, int base) {
    public TeacherSwinAttUNetConfig {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        if (base < 2 || base % 2 != 0) {
            throw new IllegalArgumentException("base must be an even number of channels, got " + base);
        }
        if (backbone.numStages() != 4) {
            throw new IllegalArgumentException("the teacher's decoder needs a 4-stage Swin backbone");
        }
        if (backbone.numClasses() != 0) {
            backbone = backbone.withNumClasses(0);
        }
    }

    /** The published teacher: Swin-T, base 64 (49,229,322 parameters for 4 classes). */
    public static TeacherSwinAttUNetConfig published(int numClasses) {
        return new TeacherSwinAttUNetConfig(SwinConfig.tiny(), numClasses, 64);
    }

    /** Decoder widths {@code base * [1, 2, 4, 8, 16]}. */
    public int filters(int i) {
        return base << i;
    }
}
