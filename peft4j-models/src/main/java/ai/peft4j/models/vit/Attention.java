package ai.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/** Multi-head self-attention over all tokens: one fused {@code qkv} projection, then {@code proj}. */
public class Attention extends Module implements Layer {
    private final int heads;
    private final int headDim;
    private final float scale;

    public Attention(NDManager manager, int dim, int heads, boolean qkvBias, float attnDrop, float projDrop) {
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        registerModule("qkv", new Linear(manager, dim, 3 * dim, qkvBias));
        registerModule("attn_drop", new Dropout(attnDrop));
        registerModule("proj", new Linear(manager, dim, dim, true));
        registerModule("proj_drop", new Dropout(projDrop));
    }

    @Override
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(1);
        long c = s.get(2);
        // [B, N, 3C] -> [3, B, heads, N, headDim]
        NDArray qkv = call("qkv", x).reshape(b, n, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
        NDList parts = qkv.split(3, 0);
        NDArray q = Scalars.mul(parts.get(0).squeeze(0), scale);
        NDArray k = parts.get(1).squeeze(0);
        NDArray v = parts.get(2).squeeze(0);
        NDArray attn = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
        attn = call("attn_drop", attn);
        NDArray out = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, c);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, 2 * b * heads * n * n * headDim);
        }
        return call("proj_drop", call("proj", out));
    }
}
