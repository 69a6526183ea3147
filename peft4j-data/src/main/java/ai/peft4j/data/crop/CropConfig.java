package ai.peft4j.data.crop;

/**
 * How training crops are cut.
 *
 * @param size side of the square crop, in pixels of the rescaled image
 * @param scale factor images are resized by before cropping (bicubic image, nearest mask); 1 keeps native pixels
 * @param defectShare share of crops centred on a defect pixel (class drawn first, uniformly among the defect classes
 *     present in the data); the rest are placed uniformly at random
 * @param augment the published horizontal flip and HSV jitter per crop
 * @param rotate90 a random rotation by a multiple of 90 degrees per crop
 */
public record CropConfig(int size, double scale, double defectShare, boolean augment, boolean rotate90) {
    public CropConfig {
        if (size < 1) {
            throw new IllegalArgumentException("crop size must be positive, got " + size);
        }
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be a positive number, got " + scale);
        }
        if (!(defectShare >= 0 && defectShare <= 1)) {
            throw new IllegalArgumentException("defect share must be between 0 and 1, got " + defectShare);
        }
    }

    /** A side of {@code side} pixels after rescaling by {@code scale}: rounded, at least 1 (training and inference). */
    public static int scaledSide(int side, double scale) {
        return Math.max(1, (int) Math.round(side * scale));
    }
}
