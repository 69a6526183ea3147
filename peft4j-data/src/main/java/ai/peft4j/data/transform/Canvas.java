package ai.peft4j.data.transform;

import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;

/**
 * Pastes a pair onto a fixed-size canvas (grey image, background mask) at an offset, clipping what falls outside,
 * as PIL's {@code Image.paste} with a negative or overflowing offset does.
 */
final class Canvas {
    private Canvas() {}

    /** The published canvas grey. */
    static final int GREY = 128;

    static LabelledImage paste(String id, RgbImage image, int[] mask, int width, int height, int left, int top) {
        RgbImage canvas = RgbImage.filled(width, height, GREY, GREY, GREY);
        int[] labels = new int[width * height];
        byte[] out = canvas.pixels();
        byte[] in = image.pixels();
        int w = image.width();
        int x0 = Math.max(0, left);
        int x1 = Math.min(width, left + w);
        int y0 = Math.max(0, top);
        int y1 = Math.min(height, top + image.height());
        for (int y = y0; y < y1; y++) {
            int srcRow = (y - top) * w;
            if (x1 > x0) {
                System.arraycopy(in, 3 * (srcRow + x0 - left), out, 3 * (y * width + x0), 3 * (x1 - x0));
                System.arraycopy(mask, srcRow + x0 - left, labels, y * width + x0, x1 - x0);
            }
        }
        return new LabelledImage(id, canvas, labels);
    }
}
