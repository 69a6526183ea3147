package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * A token sequence {@code [B, H*W, C]} with the grid it was read from, so that code which needs the spatial layout
 * (windowed attention, convolutional adapters) can restore it.
 *
 * @param x tokens in row-major grid order
 * @param h grid rows
 * @param w grid columns
 */
public record TokenGrid(NDArray x, int h, int w) {
    /** The tokens as an NCHW feature map. */
    public NDArray toMap() {
        long b = x.getShape().get(0);
        long c = x.getShape().get(2);
        return x.transpose(0, 2, 1).reshape(b, c, h, w);
    }

    /** Tokens {@code [B, H*W, C]} of an NCHW map. */
    public static TokenGrid of(NDArray map) {
        long b = map.getShape().get(0);
        long c = map.getShape().get(1);
        int h = (int) map.getShape().get(2);
        int w = (int) map.getShape().get(3);
        return new TokenGrid(map.reshape(b, c, (long) h * w).transpose(0, 2, 1), h, w);
    }

    public TokenGrid with(NDArray tokens) {
        return new TokenGrid(tokens, h, w);
    }
}
