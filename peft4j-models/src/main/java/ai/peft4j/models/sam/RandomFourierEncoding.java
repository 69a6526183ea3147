package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/**
 * SAM's {@code PositionEmbeddingRandom}: a point {@code p} in {@code [0, 1]^2} (x, y) becomes
 * {@code [sin(2 pi (2p - 1) G), cos(2 pi (2p - 1) G)]} with a fixed Gaussian matrix {@code G [2, C/2]}. {@code G}
 * is drawn once ({@code randn}) and kept as the persistent buffer {@code positional_encoding_gaussian_matrix}, so
 * it comes from the checkpoint, not from a seed.
 */
public class RandomFourierEncoding extends Module {
    static final String MATRIX = "positional_encoding_gaussian_matrix";

    public RandomFourierEncoding(NDManager manager, int numPosFeats) {
        registerBuffer(MATRIX, manager.randomNormal(new Shape(2, numPosFeats)), true);
    }

    /** The type prompts are encoded in: the matrix's (float32, or float64 after {@code Module.to}). */
    public DataType dataType() {
        return buffer(MATRIX).data().getDataType();
    }

    /** Encodes coordinates normalised to {@code [0, 1]}, {@code [..., 2]} -> {@code [..., C]}. */
    public NDArray encode(NDArray coords) {
        NDArray c = Scalars.sub(Scalars.mul(coords, 2f), 1f).matMul(buffer(MATRIX).data());
        c = Scalars.mul(c, (float) (2 * Math.PI));
        return c.sin().concat(c.cos(), -1);
    }

    /** Points in input pixels {@code [B, N, 2]} (x, y), normalised by the input size first. */
    public NDArray encodePixels(NDArray points, int inputHeight, int inputWidth) {
        NDArray size = points.getManager().create(new float[] {inputWidth, inputHeight}).toType(points.getDataType(),
                false);
        return encode(points.div(size));
    }

    /** The encoding of every cell centre of an {@code h x w} grid, {@code [1, C, h, w]}, in {@code manager}. */
    public NDArray dense(int h, int w, NDManager manager) {
        float[] grid = new float[h * w * 2];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                grid[(i * w + j) * 2] = (j + 0.5f) / w;
                grid[(i * w + j) * 2 + 1] = (i + 0.5f) / h;
            }
        }
        NDArray coords = manager.create(grid, new Shape(h, w, 2)).toType(dataType(), false);
        return encode(coords).transpose(2, 0, 1).expandDims(0);
    }
}
