package ai.peft4j.infer.stats;

/**
 * A class id per pixel, row-major: what a segmentation model gives for one frame, at the frame's size.
 *
 * @param width columns
 * @param height rows
 * @param classes {@code width * height} class ids
 */
public record ClassMap(int width, int height, int[] classes) {
    public ClassMap {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("class map size must be positive, got " + width + "x" + height);
        }
        if (classes.length != width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " class map needs " + width * height
                    + " ids, got " + classes.length);
        }
    }

    public int get(int x, int y) {
        return classes[y * width + x];
    }
}
