package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;

/**
 * A token sequence {@code [B, H*W, C]} with the grid it was read from.
 *
 * @param x tokens in row-major grid order
 * @param h grid rows
 * @param w grid columns
 */
public record Tokens(NDArray x, int h, int w) {
    /** The tokens as an NCHW feature map. */
    public NDArray toMap() {
        long b = x.getShape().get(0);
        long c = x.getShape().get(2);
        return x.transpose(0, 2, 1).reshape(b, c, h, w);
    }
}
