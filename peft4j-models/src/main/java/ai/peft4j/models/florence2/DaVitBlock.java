package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * One DaViT block, spatial ({@code window_attn}) or channel ({@code channel_attn}): a depthwise-convolution
 * residual ({@code conv1}), the attention residual, another depthwise residual ({@code conv2}) and the
 * feed-forward residual ({@code ffn}), the last two attention-style ones pre-normed. Works on {@code [B, H, W, C]}.
 */
public class DaVitBlock extends Module implements Layer {
    private final String attention;

    private DaVitBlock(NDManager manager, int dim, float mlpRatio, String attention, Module attn) {
        this.attention = attention;
        registerModule("conv1", new PreNormResidual(null, new DepthwiseConv(manager, dim)));
        registerModule(attention, new PreNormResidual(new LayerNorm(manager, dim), attn));
        registerModule("conv2", new PreNormResidual(null, new DepthwiseConv(manager, dim)));
        registerModule("ffn", new PreNormResidual(new LayerNorm(manager, dim),
                new DaVitMlp(manager, dim, (int) (dim * mlpRatio))));
    }

    /** A spatial block: attention inside windows of {@code window x window} tokens. */
    public static DaVitBlock spatial(NDManager manager, int dim, int heads, int window, float mlpRatio) {
        return new DaVitBlock(manager, dim, mlpRatio, "window_attn", new WindowAttention(manager, dim, heads, window));
    }

    /** A channel block: attention between the channels of each group. */
    public static DaVitBlock channel(NDManager manager, int dim, int groups, float mlpRatio) {
        return new DaVitBlock(manager, dim, mlpRatio, "channel_attn", new ChannelAttention(manager, dim, groups));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("ffn", call("conv2", call(attention, call("conv1", x))));
    }
}
