package ai.peft4j.data.image;

/**
 * The raw values of a mask file before they become class ids.
 *
 * @param width columns
 * @param height rows
 * @param values per pixel, row-major: the sample of a single-channel mask (a palette index or grey level), or
 *     {@code 0xRRGGBB} when {@code colour} is set
 * @param colour whether the file held RGB(A) colours rather than one channel
 * @param channels channels in the file (1 for index and grey masks, 3 or 4 for colour ones)
 */
public record MaskRaster(int width, int height, int[] values, boolean colour, int channels) {
    public MaskRaster {
        if (values.length != width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " mask needs " + width * height
                    + " values, got " + values.length);
        }
    }
}
