package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * A TinyViT block on tokens {@code [B, H*W, C]}: attention (on the whole map when it is exactly one window, else in
 * windows of the map zero-padded at the bottom and right, so padded tokens take part as keys), plus the input; a
 * depthwise {@code local_conv} on the map; then {@code x + mlp(x)}.
 */
public class TinyVitBlock extends Module implements Layer {
    private final int resolution;
    private final int window;

    public TinyVitBlock(NDManager manager, int dim, int resolution, int heads, int window, float mlpRatio,
            int localConvSize) {
        this.resolution = resolution;
        this.window = window;
        registerModule("attn", new TinyVitAttention(manager, dim, heads, window));
        registerModule("mlp", new TinyVitMlp(manager, dim, (int) (dim * mlpRatio)));
        registerModule("local_conv", new ConvBn(manager, dim, dim, localConvSize, 1, localConvSize / 2, dim));
    }

    @Override
    public NDArray forward(NDArray x) {
        long b = x.getShape().get(0);
        long l = x.getShape().get(1);
        long c = x.getShape().get(2);
        long h = resolution;
        long w = resolution;
        NDArray y;
        if (h == window && w == window) {
            y = call("attn", x);
        } else {
            NDArray map = x.reshape(b, h, w, c);
            long pb = (window - h % window) % window;
            long pr = (window - w % window) % window;
            if (pr > 0) {
                map = map.concat(map.getManager().zeros(new Shape(b, h, pr, c), map.getDataType()), 2);
            }
            if (pb > 0) {
                map = map.concat(map.getManager().zeros(new Shape(b, pb, w + pr, c), map.getDataType()), 1);
            }
            long ph = h + pb;
            long pw = w + pr;
            long nh = ph / window;
            long nw = pw / window;
            NDArray windows = map.reshape(b, nh, window, nw, window, c).transpose(0, 1, 3, 2, 4, 5)
                    .reshape(b * nh * nw, (long) window * window, c);
            y = call("attn", windows).reshape(b, nh, nw, window, window, c).transpose(0, 1, 3, 2, 4, 5)
                    .reshape(b, ph, pw, c);
            if (pb > 0 || pr > 0) {
                y = y.get(":, :" + h + ", :" + w + ", :");
            }
            y = y.reshape(b, l, c);
        }
        NDArray r = x.add(y);
        NDArray conv = call("local_conv", r.transpose(0, 2, 1).reshape(b, c, h, w));
        r = conv.reshape(b, c, l).transpose(0, 2, 1);
        return r.add(call("mlp", r));
    }
}
