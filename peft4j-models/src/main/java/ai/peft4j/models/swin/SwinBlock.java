package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.DropPath;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Mlp;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Roll;

/**
 * One Swin block: window attention (shifted by half a window in odd blocks) and an MLP, each pre-normalised
 * and residual, with stochastic depth on both branches.
 */
public class SwinBlock extends Module {
    private final int window;
    private final int shift;

    public SwinBlock(NDManager manager, int dim, int heads, int window, int shift, float mlpRatio, float drop,
            float attnDrop, float dropPath) {
        if (shift < 0 || shift >= window) {
            throw new IllegalArgumentException("shift " + shift + " must be in [0, window " + window + ")");
        }
        this.window = window;
        this.shift = shift;
        registerModule("norm1", new LayerNorm(manager, dim));
        registerModule("attn", new WindowAttention(manager, dim, window, heads, attnDrop, drop));
        registerModule("drop_path", new DropPath(dropPath));
        registerModule("norm2", new LayerNorm(manager, dim));
        registerModule("mlp", new Mlp(manager, dim, (int) (dim * mlpRatio), Activation.gelu(), drop));
    }

    public int shift() {
        return shift;
    }

    /**
     * @param in tokens {@code [B, H*W, C]}
     * @param mask the stage's shifted-window mask, used only when this block shifts
     */
    public NDArray forward(Tokens in, NDArray mask) {
        NDArray x = in.x();
        long b = x.getShape().get(0);
        long c = x.getShape().get(2);
        int h = in.h();
        int w = in.w();
        NDArray y = call("norm1", x).reshape(b, h, w, c);
        // Pad right and bottom to whole windows; the padding is cut off again after attention.
        int padR = (window - w % window) % window;
        int padB = (window - h % window) % window;
        if (padR > 0 || padB > 0) {
            y = y.pad(new Shape(0, 0, 0, padR, 0, padB), 0);
        }
        int hp = h + padB;
        int wp = w + padR;
        if (shift > 0) {
            y = Roll.roll(Roll.roll(y, -shift, 1), -shift, 2);
        }
        NDArray windows = partition(y, window).reshape(-1, (long) window * window, c);
        NDArray attended = ((WindowAttention) child("attn")).forward(windows, shift > 0 ? mask : null);
        y = merge(attended.reshape(-1, window, window, c), window, b, hp, wp);
        if (shift > 0) {
            y = Roll.roll(Roll.roll(y, shift, 1), shift, 2);
        }
        if (padR > 0 || padB > 0) {
            y = y.get(":, :" + h + ", :" + w + ", :");
        }
        y = y.reshape(b, (long) h * w, c);
        NDArray out = x.add(call("drop_path", y));
        return out.add(call("drop_path", call("mlp", call("norm2", out))));
    }

    /** {@code [B, H, W, C]} to windows {@code [B * nW, w, w, C]}, row-major over windows. */
    static NDArray partition(NDArray x, int window) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        return x.reshape(b, h / window, window, w / window, window, c)
                .transpose(0, 1, 3, 2, 4, 5)
                .reshape(-1, window, window, c);
    }

    /** Inverse of {@link #partition}. */
    static NDArray merge(NDArray windows, int window, long b, long h, long w) {
        long c = windows.getShape().get(3);
        return windows.reshape(b, h / window, w / window, window, window, c)
                .transpose(0, 1, 3, 2, 4, 5)
                .reshape(b, h, w, c);
    }
}
