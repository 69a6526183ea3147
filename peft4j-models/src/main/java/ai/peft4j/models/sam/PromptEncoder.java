package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.LayerNorm2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.tensor.Scalars;

/**
 * SAM's prompt encoder. Clicks and box corners are encoded at their pixel centres ({@code +0.5}) by the random
 * Fourier features, plus a learned embedding per label (foreground, background, top-left, bottom-right); a padding
 * click (label -1) has its encoding replaced by {@code not_a_point_embed}, and clicks without a box get one padding
 * click appended. Mask logits are downscaled 4x by two stride-2 convolutions; without a mask the dense embedding
 * is {@code no_mask_embed} everywhere.
 */
public class PromptEncoder extends Module {
    private final int embedDim;
    private final int embeddingSize;
    private final int imageSize;

    public PromptEncoder(NDManager manager, int embedDim, int embeddingSize, int imageSize, int maskInChans) {
        this.embedDim = embedDim;
        this.embeddingSize = embeddingSize;
        this.imageSize = imageSize;
        registerModule("pe_layer", new RandomFourierEncoding(manager, embedDim / 2));
        ModuleList<Embedding> points = new ModuleList<>(Embedding.class);
        for (int i = 0; i < 4; i++) {
            points.add(new Embedding(manager, 1, embedDim));
        }
        registerModule("point_embeddings", points);
        registerModule("not_a_point_embed", new Embedding(manager, 1, embedDim));
        registerModule("mask_downscaling", new Sequential(
                new Conv2d(manager, 1, maskInChans / 4, 2, 2, 0, 1, true),
                new LayerNorm2d(manager, maskInChans / 4),
                Activation.gelu(),
                new Conv2d(manager, maskInChans / 4, maskInChans, 2, 2, 0, 1, true),
                new LayerNorm2d(manager, maskInChans),
                Activation.gelu(),
                new Conv2d(manager, maskInChans, embedDim, 1, 1, 0, 1, true)));
        registerModule("no_mask_embed", new Embedding(manager, 1, embedDim));
    }

    public int embedDim() {
        return embedDim;
    }

    /** The positional encoding of the image embedding's grid, {@code [1, C, h, w]} ({@code get_dense_pe}). */
    public NDArray densePositionalEncoding() {
        return densePositionalEncoding(parameterManager());
    }

    /** The same, made in {@code manager} (the activations' during a forward pass). */
    public NDArray densePositionalEncoding(NDManager manager) {
        return pe().dense(embeddingSize, embeddingSize, manager);
    }

    /** Sparse and dense embeddings of the prompts. */
    public PromptEmbeddings forward(Prompts prompts) {
        NDArray sparse = null;
        if (prompts.points() != null) {
            sparse = embedPoints(prompts.points(), prompts.labels(), prompts.boxes() == null);
        }
        if (prompts.boxes() != null) {
            NDArray boxes = embedBoxes(prompts.boxes());
            sparse = sparse == null ? boxes : sparse.concat(boxes, 1);
        }
        long batch = batchSize(prompts);
        if (sparse == null) {
            NDManager m = prompts.masks() != null ? prompts.masks().getManager() : parameterManager();
            sparse = m.zeros(new Shape(batch, 0, embedDim), pe().dataType());
        }
        NDArray dense;
        if (prompts.masks() != null) {
            dense = ((Sequential) child("mask_downscaling")).forward(prompts.masks());
        } else {
            dense = near(table("no_mask_embed").reshape(1, embedDim, 1, 1), sparse)
                    .broadcast(new Shape(batch, embedDim, embeddingSize, embeddingSize));
        }
        return new PromptEmbeddings(sparse, dense);
    }

    /** The embeddings of no prompt for {@code batch} images: an empty sparse prompt and {@code no_mask_embed}. */
    public PromptEmbeddings empty(long batch, NDManager manager) {
        NDArray sparse = manager.zeros(new Shape(batch, 0, embedDim), pe().dataType());
        NDArray dense = near(table("no_mask_embed").reshape(1, embedDim, 1, 1), sparse)
                .broadcast(new Shape(batch, embedDim, embeddingSize, embeddingSize));
        return new PromptEmbeddings(sparse, dense);
    }

    private NDArray embedPoints(NDArray points, NDArray labels, boolean pad) {
        DataType type = pe().dataType();
        NDArray p = Scalars.add(points.toType(type, false), 0.5f);
        NDArray l = labels.toType(type, false);
        if (pad) {
            long b = p.getShape().get(0);
            p = p.concat(p.getManager().zeros(new Shape(b, 1, 2), type), 1);
            l = l.concat(l.getManager().full(new Shape(b, 1), -1f, type), 1);
        }
        NDArray pe = pe().encodePixels(p, imageSize, imageSize);
        NDArray lab = l.expandDims(-1);
        // Masks rather than indexed writes: multiplying by 0 or 1 and adding 0 is exact, and stays differentiable.
        // Activations come first in each product, so results stay in their manager and parameters in theirs.
        NDArray pad1 = lab.eq(-1f).toType(pe.getDataType(), false);
        NDArray neg = lab.eq(0f).toType(pe.getDataType(), false);
        NDArray pos = lab.eq(1f).toType(pe.getDataType(), false);
        NDArray out = pe.mul(Scalars.sub(pad1, 1f).neg());
        out = out.add(pad1.mul(table("not_a_point_embed")));
        out = out.add(neg.mul(pointTable(0)));
        return out.add(pos.mul(pointTable(1)));
    }

    private NDArray embedBoxes(NDArray boxes) {
        NDArray corners = Scalars.add(boxes.toType(pe().dataType(), false), 0.5f).reshape(-1, 2, 2);
        NDArray pe = pe().encodePixels(corners, imageSize, imageSize);
        NDArray labels = near(pointTable(2).concat(pointTable(3), 0), pe);
        return pe.add(labels);
    }

    private long batchSize(Prompts p) {
        if (p.points() != null) {
            return p.points().getShape().get(0);
        }
        if (p.boxes() != null) {
            return p.boxes().reshape(-1, 4).getShape().get(0);
        }
        return p.masks() != null ? p.masks().getShape().get(0) : 1;
    }

    private RandomFourierEncoding pe() {
        return (RandomFourierEncoding) child("pe_layer");
    }

    private NDArray pointTable(int i) {
        return ((Embedding) module("point_embeddings." + i)).weight().data();
    }

    private NDArray table(String name) {
        return ((Embedding) child(name)).weight().data();
    }

    private NDManager parameterManager() {
        return table("no_mask_embed").getManager();
    }
}
