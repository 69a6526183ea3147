package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Scalars;

/**
 * DaViT's spatial attention: multi-head self-attention inside non-overlapping square windows of a token map
 * {@code [B, H, W, C]}, with no relative position bias and no shift. A map whose sides are not multiples of the
 * window is padded with zeros on the right and bottom; as in the published code the padding tokens are not masked,
 * so they take part as keys (with the projection's bias), and are cropped off afterwards.
 */
public class WindowAttention extends Module implements Layer {
    private final int heads;
    private final int window;
    private final float scale;

    public WindowAttention(NDManager manager, int dim, int heads, int window) {
        this.heads = heads;
        this.window = window;
        this.scale = (float) Math.pow(dim / heads, -0.5);
        registerModule("qkv", new Linear(manager, dim, dim * 3, true));
        registerModule("proj", new Linear(manager, dim, dim, true));
    }

    @Override
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        long padB = (window - h % window) % window;
        long padR = (window - w % window) % window;
        NDArray p = x;
        if (padR > 0) {
            p = p.concat(p.getManager().zeros(new Shape(b, h, padR, c), p.getDataType()), 2);
        }
        if (padB > 0) {
            p = p.concat(p.getManager().zeros(new Shape(b, padB, w + padR, c), p.getDataType()), 1);
        }
        long hp = h + padB;
        long wp = w + padR;
        long nh = hp / window;
        long nw = wp / window;
        long n = (long) window * window;
        NDArray windows = p.reshape(b, nh, window, nw, window, c).transpose(0, 1, 3, 2, 4, 5)
                .reshape(-1, n, c);
        long bw = windows.getShape().get(0);
        NDArray qkv = call("qkv", windows).reshape(bw, n, 3, heads, c / heads).transpose(2, 0, 3, 1, 4);
        NDArray q = Scalars.mul(qkv.get(0), scale);
        NDArray attn = q.matMul(qkv.get(1).transpose(0, 1, 3, 2)).softmax(-1);
        NDArray out = attn.matMul(qkv.get(2)).transpose(0, 2, 1, 3).reshape(bw, n, c);
        out = call("proj", out).reshape(b, nh, nw, window, window, c).transpose(0, 1, 3, 2, 4, 5)
                .reshape(b, hp, wp, c);
        if (padB > 0 || padR > 0) {
            out = out.get(":, :{}, :{}, :", h, w);
        }
        return out;
    }
}
