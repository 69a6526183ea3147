package ai.peft4j.infer.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.TokenGrid;

/**
 * Where the channels and the grid are in a module's output, so that every kind of output becomes a map
 * {@code [channels, height, width]}: NCHW maps of CNN layers, tokens {@code [1, H*W, C]} of transformer layers and
 * adapters (the grid read from a {@link TokenGrid} input when the module has one, else the one of the image's aspect
 * with H*W tokens, as the published {@code reshape_transform} takes the square), and channels-last maps
 * {@code [1, H, W, C]}.
 *
 * @param kind {@code nchw}, {@code tokens} or {@code nhwc}
 */
public record FeatureLayout(String kind, int channels, int height, int width) {

    /** The plane size {@code height * width}. */
    public int plane() {
        return height * width;
    }

    /**
     * The layout of {@code output} of a module that ran on {@code inputs}, for a network input of
     * {@code inputHeight x inputWidth}.
     *
     * @throws IllegalArgumentException with the reason when the output has no grid of one image (a vector, window
     *     partitions, a batch of several images)
     */
    public static FeatureLayout of(Shape output, Object[] inputs, int inputHeight, int inputWidth) {
        if (output.dimension() < 3 || output.get(0) != 1) {
            throw new IllegalArgumentException("its output " + output + " is not a map or token sequence of one image"
                    + (output.dimension() == 3 ? " (window-partitioned tokens inside attention have one row per "
                            + "window; take the attention module itself)" : ""));
        }
        if (output.dimension() == 4) {
            int d1 = (int) output.get(1);
            int d2 = (int) output.get(2);
            int d3 = (int) output.get(3);
            if (fitsImage(d2, d3, inputHeight, inputWidth)) {
                return new FeatureLayout("nchw", d1, d2, d3);
            }
            if (fitsImage(d1, d2, inputHeight, inputWidth)) {
                return new FeatureLayout("nhwc", d3, d1, d2);
            }
            throw new IllegalArgumentException("neither " + d2 + "x" + d3 + " (NCHW) nor " + d1 + "x" + d2
                    + " (channels last) of its output " + output + " is a grid of the " + inputHeight + "x"
                    + inputWidth + " input");
        }
        if (output.dimension() == 3) {
            long tokens = output.get(1);
            int channels = (int) output.get(2);
            for (Object in : inputs) {
                if (in instanceof TokenGrid g && (long) g.h() * g.w() == tokens) {
                    return new FeatureLayout("tokens", channels, g.h(), g.w());
                }
            }
            int h = (int) Math.round(Math.sqrt(tokens * (double) inputHeight / inputWidth));
            if (h > 0 && tokens % h == 0 && fitsImage(h, (int) (tokens / h), inputHeight, inputWidth)) {
                return new FeatureLayout("tokens", channels, h, (int) (tokens / h));
            }
            throw new IllegalArgumentException("its " + tokens + " tokens fit no grid of the " + inputHeight + "x"
                    + inputWidth + " input's aspect");
        }
        throw new IllegalArgumentException("its output " + output + " has no spatial layout");
    }

    /** The output as {@code [channels, height, width]}. */
    public NDArray toMap(NDArray output) {
        return switch (kind) {
            case "nchw" -> output.reshape(channels, height, width);
            case "tokens" -> output.reshape(height, width, channels).transpose(2, 0, 1);
            case "nhwc" -> output.reshape(height, width, channels).transpose(2, 0, 1);
            default -> throw new IllegalStateException(kind);
        };
    }

    /** A grid of the input's aspect (within a row or column of rounding) no larger than the input. */
    private static boolean fitsImage(int h, int w, int inputHeight, int inputWidth) {
        if (h < 1 || w < 1 || h > inputHeight || w > inputWidth) {
            return false;
        }
        return Math.abs((long) h * inputWidth - (long) w * inputHeight) <= Math.max(inputHeight, inputWidth);
    }
}
