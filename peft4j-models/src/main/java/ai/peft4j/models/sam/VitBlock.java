package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;

/**
 * A block of SAM's ViT encoder on {@code [B, H, W, C]}: {@code x + attn(norm1(x))} in windows of
 * {@code windowSize} (the normalised map zero-padded at the bottom and right, then cropped back) or over the whole
 * grid when the window is 0, then {@code x + mlp(norm2(x))}.
 */
public class VitBlock extends Module implements Layer {
    private final int windowSize;

    /**
     * @param gridSize side of the token grid, which sizes a global block's relative position tables
     */
    public VitBlock(NDManager manager, SamConfig.Encoder config, int windowSize, int gridSize, SamVariant variant) {
        this.windowSize = windowSize;
        int d = config.embedDim();
        registerModule("norm1", new LayerNorm(manager, d, config.layerNormEps()));
        registerModule("attn", new RelPosAttention(manager, d, config.heads(), config.qkvBias(), config.useRelPos(),
                windowSize > 0 ? windowSize : gridSize, variant));
        registerModule("norm2", new LayerNorm(manager, d, config.layerNormEps()));
        registerModule("mlp", new SamMlp(manager, d, (int) (d * config.mlpRatio()), Activation.gelu()));
    }

    public int windowSize() {
        return windowSize;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray y = call("norm1", x);
        if (windowSize > 0) {
            long h = x.getShape().get(1);
            long w = x.getShape().get(2);
            Windows win = Windows.partition(y, windowSize);
            y = win.merge(call("attn", win.windows()), h, w);
        } else {
            y = call("attn", y);
        }
        NDArray r = x.add(y);
        return r.add(call("mlp", call("norm2", r)));
    }

    /** Windows of a zero-padded map and the padded size they came from. */
    record Windows(NDArray windows, long paddedH, long paddedW, int size) {
        /** {@code [B, H, W, C]} -> {@code [B * nWindows, size, size, C]}, zero-padding bottom and right first. */
        static Windows partition(NDArray x, int size) {
            Shape s = x.getShape();
            long b = s.get(0);
            long h = s.get(1);
            long w = s.get(2);
            long c = s.get(3);
            long ph = (size - h % size) % size;
            long pw = (size - w % size) % size;
            NDArray p = x;
            if (pw > 0) {
                p = p.concat(p.getManager().zeros(new Shape(b, h, pw, c), p.getDataType()), 2);
            }
            if (ph > 0) {
                p = p.concat(p.getManager().zeros(new Shape(b, ph, w + pw, c), p.getDataType()), 1);
            }
            long hp = h + ph;
            long wp = w + pw;
            NDArray windows = p.reshape(b, hp / size, size, wp / size, size, c).transpose(0, 1, 3, 2, 4, 5)
                    .reshape(-1, size, size, c);
            return new Windows(windows, hp, wp, size);
        }

        /** The inverse of {@link #partition} on {@code out}, cropped to {@code h x w}. */
        NDArray merge(NDArray out, long h, long w) {
            long c = out.getShape().get(3);
            long b = out.getShape().get(0) / ((paddedH / size) * (paddedW / size));
            NDArray x = out.reshape(b, paddedH / size, paddedW / size, size, size, c).transpose(0, 1, 3, 2, 4, 5)
                    .reshape(b, paddedH, paddedW, c);
            if (paddedH > h || paddedW > w) {
                x = x.get(":, :" + h + ", :" + w + ", :");
            }
            return x;
        }
    }
}
