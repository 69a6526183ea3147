package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * Multi-head self-attention inside a window, with a learned bias per relative position. The fused {@code qkv}
 * projection is a child Linear, so a method that targets {@code attn.qkv} sees the same layer as in PyTorch.
 */
public class WindowAttention extends Module {
    private final int dim;
    private final int heads;
    private final int window;
    private final float scale;
    private final NDArray flatIndex;

    public WindowAttention(NDManager manager, int dim, int window, int heads, float attnDrop, float projDrop) {
        this.dim = dim;
        this.heads = heads;
        this.window = window;
        this.scale = (float) Math.pow((double) dim / heads, -0.5);
        int side = 2 * window - 1;
        registerParameter("relative_position_bias_table",
                Initializers.truncNormal(manager, new Shape((long) side * side, heads), 0.02f));
        long[] index = relativePositionIndex(window);
        registerBuffer("relative_position_index",
                manager.create(index, new Shape((long) window * window, (long) window * window)), true);
        flatIndex = manager.create(index);
        registerModule("qkv", new Linear(manager, dim, 3 * dim, true));
        registerModule("attn_drop", new Dropout(attnDrop));
        registerModule("proj", new Linear(manager, dim, dim, true));
        registerModule("proj_drop", new Dropout(projDrop));
    }

    /**
     * For each pair of positions (i, j) in a window, the row of the bias table holding their offset:
     * {@code (dy + w - 1) * (2w - 1) + (dx + w - 1)}.
     */
    static long[] relativePositionIndex(int window) {
        int n = window * window;
        long[] out = new long[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int dy = i / window - j / window + window - 1;
                int dx = i % window - j % window + window - 1;
                out[i * n + j] = (long) dy * (2 * window - 1) + dx;
            }
        }
        return out;
    }

    public int heads() {
        return heads;
    }

    /**
     * @param x windows of tokens {@code [B * nW, N, C]}
     * @param mask additive mask {@code [nW, N, N]} (0 or -100) of a shifted window, or null
     */
    public NDArray forward(NDArray x, NDArray mask) {
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(1);
        long hd = dim / heads;
        NDArray qkv = call("qkv", x).reshape(b, n, 3, heads, hd).transpose(2, 0, 3, 1, 4);
        NDArray q = qkv.get(0).mul(scale);
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        NDArray attn = q.matMul(k.transpose(0, 1, 3, 2));
        attn = attn.add(relativeBias(x, n));
        if (mask != null) {
            long nw = mask.getShape().get(0);
            attn = attn.reshape(b / nw, nw, heads, n, n).add(mask.reshape(1, nw, 1, n, n)).reshape(b, heads, n, n);
        }
        attn = attn.softmax(-1);
        attn = call("attn_drop", attn);
        NDArray out = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, (long) dim);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, 2 * b * heads * n * n * hd);
        }
        out = call("proj", out);
        return call("proj_drop", out);
    }

    private NDArray relativeBias(NDArray like, long n) {
        NDArray table = parameter("relative_position_bias_table").data();
        NDArray bias = table.get(new NDIndex("{}", flatIndex));
        near(bias, like);
        return bias.reshape(n, n, heads).transpose(2, 0, 1);
    }
}
