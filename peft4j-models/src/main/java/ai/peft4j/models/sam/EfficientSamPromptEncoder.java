package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/**
 * EfficientSAM's prompt encoder: every prompt is a fixed number of labelled points (a box is its two corners,
 * labels 2 and 3); each point's random Fourier encoding at its pixel centre plus the embedding of its label
 * ({@code invalid_points} for -1, {@code point_embeddings} for 1, the box corner embeddings for 2 and 3). Unlike
 * SAM's, a padding point keeps its encoding, and there is no dense embedding.
 */
public class EfficientSamPromptEncoder extends Module {
    /** The input size Medical-SAM-Adapter's {@code get_rescaled_pts} scales coordinates to, whatever the image. */
    static final int PUBLISHED_RESCALE_SIZE = 1024;

    private final int embeddingSize;
    private final int imageSize;

    public EfficientSamPromptEncoder(NDManager manager, int embedDim, int embeddingSize, int imageSize) {
        this.embeddingSize = embeddingSize;
        this.imageSize = imageSize;
        registerModule("pe_layer", new RandomFourierEncoding(manager, embedDim / 2));
        registerModule("invalid_points", new Embedding(manager, 1, embedDim));
        registerModule("point_embeddings", new Embedding(manager, 1, embedDim));
        registerModule("bbox_top_left_embeddings", new Embedding(manager, 1, embedDim));
        registerModule("bbox_bottom_right_embeddings", new Embedding(manager, 1, embedDim));
    }

    /** The positional encoding of the image embedding's grid, {@code [1, C, h, w]}. */
    public NDArray densePositionalEncoding() {
        return densePositionalEncoding(table("point_embeddings").getManager());
    }

    /** The same, made in {@code manager} (the activations' during a forward pass). */
    public NDArray densePositionalEncoding(NDManager manager) {
        return ((RandomFourierEncoding) child("pe_layer")).dense(embeddingSize, embeddingSize, manager);
    }

    /** Sparse embeddings {@code [B, N, C]} of points {@code [B, N, 2]} (input pixels) with labels {@code [B, N]}. */
    public NDArray forward(NDArray points, NDArray labels) {
        RandomFourierEncoding fourier = (RandomFourierEncoding) child("pe_layer");
        NDArray p = Scalars.add(points.toType(fourier.dataType(), false), 0.5f);
        NDArray pe = fourier.encodePixels(p, imageSize, imageSize);
        NDArray lab = labels.toType(fourier.dataType(), false).expandDims(-1);
        NDArray out = pe;
        out = out.add(lab.eq(-1f).toType(pe.getDataType(), false).mul(table("invalid_points")));
        out = out.add(lab.eq(1f).toType(pe.getDataType(), false).mul(table("point_embeddings")));
        out = out.add(lab.eq(2f).toType(pe.getDataType(), false).mul(table("bbox_top_left_embeddings")));
        return out.add(lab.eq(3f).toType(pe.getDataType(), false)
                .mul(table("bbox_bottom_right_embeddings")));
    }

    /**
     * Points and labels as Medical-SAM-Adapter's training and validation hand them to this encoder
     * ({@code function.py : transform_prompt}): coordinates {@code >= 0} are multiplied by {@code 1024 / size}
     * (others become -1), then the prompt is cut or padded with {@code (-1, -1)} and label -1 to {@code maxPoints}.
     * The encoder still normalises by the real input size, so unless the input is 1024 the points land outside
     * {@code [0, 1]}: the published behaviour, kept.
     *
     * @return points {@code [B, maxPoints, 2]} and labels {@code [B, maxPoints]}
     */
    public static NDList publishedTrainingPrompt(NDArray points, NDArray labels, int imageHeight, int imageWidth,
            int maxPoints) {
        NDArray p = points.toType(DataType.FLOAT32, false);
        NDArray l = labels.toType(DataType.FLOAT32, false);
        NDManager m = p.getManager();
        NDArray scale = m.create(new float[] {(float) PUBLISHED_RESCALE_SIZE / imageWidth,
            (float) PUBLISHED_RESCALE_SIZE / imageHeight});
        NDArray valid = p.gte(0f);
        NDArray minusOne = m.full(p.getShape(), -1f);
        p = NDArrays.where(valid, p.mul(scale), minusOne);
        long b = p.getShape().get(0);
        long n = p.getShape().get(1);
        if (n > maxPoints) {
            p = p.get(":, :" + maxPoints + ", :");
            l = l.get(":, :" + maxPoints);
        } else if (n < maxPoints) {
            p = p.concat(m.full(new Shape(b, maxPoints - n, 2), -1f), 1);
            l = l.concat(m.full(new Shape(b, maxPoints - n), -1f), 1);
        }
        return new NDList(p, l);
    }

    private NDArray table(String name) {
        return ((Embedding) child(name)).weight().data();
    }
}
