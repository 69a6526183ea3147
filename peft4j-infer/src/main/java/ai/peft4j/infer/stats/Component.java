package ai.peft4j.infer.stats;

/**
 * One connected region of a class (8-connectivity: pixels touching at an edge or a corner belong together).
 *
 * @param classId its class
 * @param pixels its area in pixels
 * @param x0 first column of its bounding box
 * @param y0 first row
 * @param x1 last column (inclusive)
 * @param y1 last row (inclusive)
 */
public record Component(int classId, int pixels, int x0, int y0, int x1, int y1) {
    public int boxWidth() {
        return x1 - x0 + 1;
    }

    public int boxHeight() {
        return y1 - y0 + 1;
    }
}
