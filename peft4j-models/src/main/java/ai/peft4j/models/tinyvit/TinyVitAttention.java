package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Constants;
import ai.peft4j.core.tensor.Scalars;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TinyViT's (LeViT-style) attention on the tokens of one {@code window x window} square: LayerNorm first, then
 * {@code qkv} whose output is grouped per head as {@code [q_h k_h v_h]}, and a learned bias per head and per
 * (|dy|, |dx|) offset between two positions ({@code attention_biases [heads, offsets]}) added to the logits.
 */
public class TinyVitAttention extends Module implements Layer {
    private final int heads;
    private final int keyDim;
    private final int window;
    private final int offsets;
    private final int[] offsetOfPair;
    private final float[] selection;

    public TinyVitAttention(NDManager manager, int dim, int heads, int window) {
        this.heads = heads;
        this.keyDim = dim / heads;
        this.window = window;
        // Offsets are numbered in order of first appearance over all (p1, p2) pairs, as the published code does.
        Map<Long, Integer> index = new LinkedHashMap<>();
        int n = window * window;
        offsetOfPair = new int[n * n];
        for (int p1 = 0; p1 < n; p1++) {
            for (int p2 = 0; p2 < n; p2++) {
                long key = (long) Math.abs(p1 / window - p2 / window) * window + Math.abs(p1 % window - p2 % window);
                offsetOfPair[p1 * n + p2] = index.computeIfAbsent(key, k -> index.size());
            }
        }
        this.offsets = index.size();
        selection = new float[n * n * offsets];
        for (int i = 0; i < n * n; i++) {
            selection[i * offsets + offsetOfPair[i]] = 1f;
        }
        registerParameter("attention_biases", manager.zeros(new Shape(heads, offsets)));
        registerModule("norm", new LayerNorm(manager, dim));
        registerModule("qkv", new Linear(manager, dim, 3 * dim, true));
        registerModule("proj", new Linear(manager, dim, dim, true));
    }

    /** Tokens {@code [B, window * window, C]} in, same shape out. */
    @Override
    public NDArray forward(NDArray x) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDArray qkv = call("qkv", call("norm", x)).reshape(b, n, heads, 3L * keyDim).transpose(0, 2, 1, 3);
        NDList parts = qkv.split(new long[] {keyDim, 2L * keyDim}, 3);
        NDArray attn = Scalars.mul(parts.get(0).matMul(parts.get(1).transpose(0, 1, 3, 2)),
                (float) Math.pow(keyDim, -0.5));
        attn = attn.add(biases((int) n, attn)).softmax(-1);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, 2 * b * heads * n * n * keyDim);
        }
        NDArray out = attn.matMul(parts.get(2)).transpose(0, 2, 1, 3).reshape(b, n, (long) heads * keyDim);
        return call("proj", out);
    }

    /**
     * {@code attention_biases[:, idx]} as {@code [heads, N, N]}, gathered by a one-hot product (exact), in the
     * manager of {@code like}.
     */
    private NDArray biases(int n, NDArray like) {
        if (n != window * window) {
            throw new IllegalArgumentException("attention made for " + window + "x" + window + " windows got " + n
                    + " tokens");
        }
        NDArray table = parameter("attention_biases").data();
        NDArray sel = Constants.of(like.getManager(), selection, new Shape((long) n * n, offsets), table.getDataType());
        return sel.matMul(table.transpose(1, 0)).transpose(1, 0).reshape(heads, n, n);
    }
}
