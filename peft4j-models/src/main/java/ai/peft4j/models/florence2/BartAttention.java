package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/**
 * BART's multi-head attention ({@code q_proj}, {@code k_proj}, {@code v_proj}, {@code out_proj}): self-attention
 * when keys come from the same tokens, cross-attention when they come from the encoder. As in transformers, the
 * projected queries are scaled before the product, which decides the rounding.
 */
public class BartAttention extends Module {
    private final int heads;
    private final int headDim;
    private final float scaling;

    public BartAttention(NDManager manager, int dim, int heads) {
        this.heads = heads;
        this.headDim = dim / heads;
        this.scaling = (float) Math.pow(headDim, -0.5);
        registerModule("k_proj", new Linear(manager, dim, dim, true));
        registerModule("v_proj", new Linear(manager, dim, dim, true));
        registerModule("q_proj", new Linear(manager, dim, dim, true));
        registerModule("out_proj", new Linear(manager, dim, dim, true));
    }

    /**
     * {@code x [B, T, D]} attends to {@code keys [B, S, D]} (x itself for self-attention); {@code maskBias}
     * {@code [B or 1, 1, T, S]} is added to the scores (a large negative number where attention is not allowed),
     * or null.
     */
    public NDArray forward(NDArray x, NDArray keys, NDArray maskBias) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(1);
        long src = keys.getShape().get(1);
        NDArray q = split(Scalars.mul(call("q_proj", x), scaling), b, t);
        NDArray k = split(call("k_proj", keys), b, src);
        NDArray v = split(call("v_proj", keys), b, src);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (maskBias != null) {
            scores = scores.add(maskBias);
        }
        NDArray out = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim);
        return runHooks(call("out_proj", out), x, keys, maskBias);
    }

    /**
     * Attention during generation, one step at a time: {@code x [B, T, D]} are the new tokens. Self-attention
     * ({@code cross} false) appends their keys and values to those {@code cache} holds for this layer; cross-attention
     * projects the encoder's states once and reuses them. No mask is needed for a single new token, which sees
     * everything before it.
     */
    public NDArray forwardCached(NDArray x, NDArray keys, NDArray maskBias, DecoderCache.Entry cache,
            boolean cross) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(1);
        NDArray q = split(Scalars.mul(call("q_proj", x), scaling), b, t);
        NDArray k;
        NDArray v;
        if (cross && cache.keys != null) {
            k = cache.keys;
            v = cache.values;
        } else {
            long src = keys.getShape().get(1);
            k = split(call("k_proj", keys), b, src);
            v = split(call("v_proj", keys), b, src);
            if (!cross && cache.keys != null) {
                k = cache.keys.concat(k, 2);
                v = cache.values.concat(v, 2);
            }
            cache.replace(k, v);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (maskBias != null) {
            scores = scores.add(maskBias);
        }
        NDArray out = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim);
        return runHooks(call("out_proj", out), x, keys, maskBias);
    }

    private NDArray split(NDArray y, long b, long n) {
        return y.reshape(b, n, heads, headDim).transpose(0, 2, 1, 3);
    }
}
