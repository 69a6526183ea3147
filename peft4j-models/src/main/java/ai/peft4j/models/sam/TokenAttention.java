package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/**
 * The two-way transformer's attention ({@code Attention} in segment-anything): separate q, k, v projections to an
 * internal width {@code dim / downsampleRate}, multi-head attention, and {@code out_proj} back to {@code dim}.
 * segment-anything divides the logits by {@code sqrt(headDim)}, Medical-SAM-Adapter multiplies by its inverse; the
 * variant picks the published operation.
 */
public class TokenAttention extends Module {
    private final int heads;
    private final int internalDim;
    private final boolean multiplyByInverse;

    public TokenAttention(NDManager manager, int dim, int heads, int downsampleRate, SamVariant variant) {
        this.internalDim = dim / downsampleRate;
        if (internalDim % heads != 0) {
            throw new IllegalArgumentException("attention width " + internalDim + " does not divide into " + heads
                    + " heads");
        }
        this.heads = heads;
        this.multiplyByInverse = variant == SamVariant.MSA;
        registerModule("q_proj", new Linear(manager, dim, internalDim, true));
        registerModule("k_proj", new Linear(manager, dim, internalDim, true));
        registerModule("v_proj", new Linear(manager, dim, internalDim, true));
        registerModule("out_proj", new Linear(manager, internalDim, dim, true));
    }

    /** Attention of queries {@code [B, Nq, dim]} over keys and values {@code [B, Nk, dim]}. */
    public NDArray forward(NDArray q, NDArray k, NDArray v) {
        NDArray qh = heads(call("q_proj", q));
        NDArray kh = heads(call("k_proj", k));
        NDArray vh = heads(call("v_proj", v));
        int headDim = internalDim / heads;
        NDArray attn = qh.matMul(kh.transpose(0, 1, 3, 2));
        attn = multiplyByInverse ? Scalars.mul(attn, (float) (1.0 / Math.sqrt(headDim)))
                : Scalars.div(attn, (float) Math.sqrt(headDim));
        attn = attn.softmax(-1);
        long b = q.getShape().get(0);
        long n = q.getShape().get(1);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, 2 * b * n * k.getShape().get(1) * internalDim);
        }
        NDArray out = attn.matMul(vh).transpose(0, 2, 1, 3).reshape(b, n, internalDim);
        return runHooks(call("out_proj", out), q, k, v);
    }

    private NDArray heads(NDArray x) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        return x.reshape(b, n, heads, internalDim / heads).transpose(0, 2, 1, 3);
    }
}
