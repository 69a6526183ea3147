package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;

/**
 * BART's learned positions: {@code weight [max_positions + 2, dim]}, position p reads row {@code p + 2} (fairseq's
 * offset, kept by transformers so published tables load).
 */
public class LearnedPositionEmbedding extends Module {
    private final int maxPositions;

    public LearnedPositionEmbedding(NDManager manager, int maxPositions, int dim) {
        this.maxPositions = maxPositions;
        registerParameter("weight", manager.randomNormal(new Shape(maxPositions + BartConfig.POSITION_OFFSET, dim)));
    }

    /** Rows for positions {@code start .. start + length - 1}: {@code [length, dim]}. */
    public NDArray forward(long start, long length) {
        if (start + length > maxPositions) {
            throw new IllegalArgumentException("sequence of " + (start + length) + " tokens is longer than the "
                    + maxPositions + " positions the model has");
        }
        long from = start + BartConfig.POSITION_OFFSET;
        return parameter("weight").data().get("{}:{}", from, from + length);
    }
}
