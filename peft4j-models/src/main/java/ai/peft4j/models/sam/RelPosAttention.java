package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Constants;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.core.tensor.Scalars;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SAM's encoder attention on a map {@code [B, H, W, C]} (a window or the whole grid), with the decomposed relative
 * positions of MViTv2: a height table and a width table of {@code 2 * size - 1} rows each, and the query's dot
 * product with the row for each (query - key) offset added to the attention logits. The qkv rows are
 * {@code [q of all heads | k | v]}. Every token is a key, zero-padded ones included (the published code has no
 * mask).
 */
public class RelPosAttention extends Module implements Layer {
    private static final Map<Integer, float[]> SELECTIONS = new ConcurrentHashMap<>();

    private final int heads;
    private final int headDim;
    private final boolean useRelPos;
    private final String relH;
    private final String relW;

    /**
     * @param inputSize side of the maps this attention sees (the window, or the token grid for global blocks),
     *     which sizes the relative position tables
     */
    public RelPosAttention(NDManager manager, int dim, int heads, boolean qkvBias, boolean useRelPos, int inputSize,
            SamVariant variant) {
        this.heads = heads;
        this.headDim = dim / heads;
        this.useRelPos = useRelPos;
        this.relH = variant.relPosHeightName();
        this.relW = variant.relPosWidthName();
        if (useRelPos) {
            // Zero-initialised, as with rel_pos_zero_init.
            registerParameter(relH, manager.zeros(new Shape(2L * inputSize - 1, headDim)));
            registerParameter(relW, manager.zeros(new Shape(2L * inputSize - 1, headDim)));
        }
        registerModule("qkv", new Linear(manager, dim, 3 * dim, qkvBias));
        registerModule("proj", new Linear(manager, dim, dim, true));
    }

    @Override
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long bh = b * heads;
        // [B, H, W, 3C] -> [3, B * heads, HW, headDim]
        NDArray qkv = call("qkv", x).reshape(b, h * w, 3, heads, headDim).transpose(2, 0, 3, 1, 4)
                .reshape(3, bh, h * w, headDim);
        NDList parts = qkv.split(3, 0);
        NDArray q = parts.get(0).squeeze(0);
        NDArray k = parts.get(1).squeeze(0);
        NDArray v = parts.get(2).squeeze(0);
        NDArray attn = Scalars.mul(q, (float) Math.pow(headDim, -0.5)).matMul(k.transpose(0, 2, 1));
        if (useRelPos) {
            attn = addRelPos(attn, q, bh, h, w);
        }
        attn = attn.softmax(-1);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, 2 * bh * h * w * h * w * headDim);
        }
        NDArray out = attn.matMul(v).reshape(b, heads, h, w, headDim).transpose(0, 2, 3, 1, 4)
                .reshape(b, h, w, (long) heads * headDim);
        return call("proj", out);
    }

    /** {@code attn[b, (i, j), (k, l)] += q[b, i, j] . Rh[i - k] + q[b, i, j] . Rw[j - l]} (unscaled q). */
    private NDArray addRelPos(NDArray attn, NDArray q, long bh, long h, long w) {
        NDArray rh = relativeRows(parameter(relH).data(), (int) h, q);
        NDArray rw = relativeRows(parameter(relW).data(), (int) w, q);
        NDArray rq = q.reshape(bh, h, w, headDim);
        // einsum bhwc,hkc->bhwk as a batched product over the query row i, and bhwc,wkc->bhwk over the column j.
        NDArray relHeight = rq.transpose(1, 0, 2, 3).reshape(h, bh * w, headDim).matMul(rh.transpose(0, 2, 1))
                .reshape(h, bh, w, h).transpose(1, 0, 2, 3);
        NDArray relWidth = rq.transpose(2, 0, 1, 3).reshape(w, bh * h, headDim).matMul(rw.transpose(0, 2, 1))
                .reshape(w, bh, h, w).transpose(1, 2, 0, 3);
        return attn.reshape(bh, h, w, h, w).add(relHeight.expandDims(4)).add(relWidth.expandDims(3))
                .reshape(bh, h * w, h * w);
    }

    /**
     * The table rows for every (query, key) pair of one axis, {@code [size, size, headDim]}: row
     * {@code q - k + size - 1}, after resizing the table linearly to {@code 2 * size - 1} rows when it was made for
     * another size (a global block run at another input size). Everything computed lives in the manager of
     * {@code like}.
     */
    static NDArray relativeRows(NDArray table, int size, NDArray like) {
        int rows = 2 * size - 1;
        long dim = table.getShape().get(1);
        NDArray t = table;
        if (t.getShape().get(0) != rows) {
            // F.interpolate(mode='linear') along the rows: a 1 x L map resized to 1 x rows.
            NDArray map = near(t.transpose(1, 0), like).reshape(1, dim, 1, t.getShape().get(0));
            t = Resize.bilinear(map, 1, rows, false).reshape(dim, rows).transpose(1, 0);
        }
        // A one-hot selection matrix gathers the rows exactly and keeps the gather differentiable.
        float[] select = SELECTIONS.computeIfAbsent(size, RelPosAttention::selection);
        NDArray sel = Constants.of(like.getManager(), select, new Shape((long) size * size, rows), table.getDataType());
        return sel.matMul(t).reshape(size, size, dim);
    }

    /** Row {@code i * size + j} picks table row {@code i - j + size - 1}. */
    private static float[] selection(int size) {
        int rows = 2 * size - 1;
        float[] select = new float[size * size * rows];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                select[(i * size + j) * rows + (i - j + size - 1)] = 1f;
            }
        }
        return select;
    }
}
