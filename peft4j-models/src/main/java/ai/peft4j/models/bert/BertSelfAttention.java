package ai.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/** Multi-head self-attention with separate {@code query}, {@code key} and {@code value} projections. */
public class BertSelfAttention extends Module {
    private final int heads;
    private final int headDim;
    private final float scale;

    public BertSelfAttention(NDManager manager, BertConfig config) {
        this.heads = config.heads();
        this.headDim = config.headDim();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        registerModule("query", new Linear(manager, config.hidden(), config.hidden(), true));
        registerModule("key", new Linear(manager, config.hidden(), config.hidden(), true));
        registerModule("value", new Linear(manager, config.hidden(), config.hidden(), true));
        registerModule("dropout", new Dropout(0.1f));
    }

    /**
     * {@code x [B, S, H]}; {@code maskBias} {@code [B, 1, 1, S]} is added to the scores (a large negative number
     * on padding), or null when every token counts.
     */
    public NDArray forward(NDArray x, NDArray maskBias) {
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(1);
        NDArray q = heads(call("query", x), b, n);
        NDArray k = heads(call("key", x), b, n);
        NDArray v = heads(call("value", x), b, n);
        // Scaling the scores rather than q, as transformers' eager attention does, so rounding matches.
        NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), scale);
        if (maskBias != null) {
            scores = scores.add(maskBias);
        }
        NDArray attn = call("dropout", scores.softmax(-1));
        NDArray out = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, (long) heads * headDim);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, 2 * b * heads * n * n * headDim);
        }
        return runHooks(out, x, maskBias);
    }

    private NDArray heads(NDArray t, long b, long n) {
        return t.reshape(b, n, heads, headDim).transpose(0, 2, 1, 3);
    }
}
