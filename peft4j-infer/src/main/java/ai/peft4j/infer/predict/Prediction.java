package ai.peft4j.infer.predict;

/**
 * A class map at the original image's size.
 *
 * @param width columns of the original image
 * @param height rows of the original image
 * @param mask class id per pixel, row-major
 */
public record Prediction(int width, int height, int[] mask) {
    public Prediction {
        if (mask.length != width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " prediction needs " + width * height
                    + " class ids, got " + mask.length);
        }
    }

    /** The class at column {@code x}, row {@code y}. */
    public int classAt(int x, int y) {
        return mask[y * width + x];
    }

    /** Pixels per class id, for {@code numClasses} classes. */
    public long[] classCounts(int numClasses) {
        long[] counts = new long[numClasses];
        for (int v : mask) {
            counts[v]++;
        }
        return counts;
    }
}
