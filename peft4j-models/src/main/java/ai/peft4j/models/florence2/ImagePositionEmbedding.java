package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;

/**
 * Florence-2's learned 2-D image positions ({@code image_pos_embed}): a column table of {@code dim/2} channels
 * ({@code column_embeddings}) and a row table of the rest ({@code row_embeddings}); the token at (row, column) gets
 * the column's row of the first, then the row's row of the second.
 */
public class ImagePositionEmbedding extends Module {
    private final int maxPositions;

    public ImagePositionEmbedding(NDManager manager, int dim, int maxPositions) {
        this.maxPositions = maxPositions;
        registerModule("row_embeddings", new TokenEmbedding(manager, maxPositions, dim - dim / 2));
        registerModule("column_embeddings", new TokenEmbedding(manager, maxPositions, dim / 2));
    }

    /** The positions of an {@code h x w} map: {@code [1, h, w, dim]}, built in {@code like}'s manager. */
    public NDArray forward(long h, long w, NDArray like) {
        if (h > maxPositions || w > maxPositions) {
            throw new IllegalArgumentException("image token map " + h + "x" + w + " is larger than the "
                    + maxPositions + " positions per side the model has; use smaller images");
        }
        NDArray cols = near(((TokenEmbedding) child("column_embeddings")).weight().data().get("0:{}", w), like);
        NDArray rows = near(((TokenEmbedding) child("row_embeddings")).weight().data().get("0:{}", h), like);
        long cx = cols.getShape().get(1);
        long cy = rows.getShape().get(1);
        NDArray x = cols.reshape(1, w, cx).broadcast(new Shape(h, w, cx));
        NDArray y = rows.reshape(h, 1, cy).broadcast(new Shape(h, w, cy));
        return x.concat(y, 2).expandDims(0);
    }
}
