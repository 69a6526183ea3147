package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/**
 * DaViT's channel attention: within each group of channels, every channel attends to every other over the whole
 * map (a {@code d x d} attention per group), so the cost is linear in the number of tokens. As published, queries
 * are scaled by {@code N^-1/2} with N the number of tokens, not by the channel width.
 */
public class ChannelAttention extends Module implements Layer {
    private final int groups;

    public ChannelAttention(NDManager manager, int dim, int groups) {
        this.groups = groups;
        registerModule("qkv", new Linear(manager, dim, dim * 3, true));
        registerModule("proj", new Linear(manager, dim, dim, true));
    }

    /** {@code x [B, H, W, C]}. */
    @Override
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(3);
        long n = s.get(1) * s.get(2);
        NDArray qkv = call("qkv", x.reshape(b, n, c)).reshape(b, n, 3, groups, c / groups).transpose(2, 0, 3, 1, 4);
        NDArray q = Scalars.mul(qkv.get(0), (float) Math.pow(n, -0.5));
        NDArray attn = q.transpose(0, 1, 3, 2).matMul(qkv.get(1)).softmax(-1);
        NDArray out = attn.matMul(qkv.get(2).transpose(0, 1, 3, 2)).transpose(0, 3, 1, 2).reshape(b, n, c);
        return call("proj", out).reshape(s);
    }
}
