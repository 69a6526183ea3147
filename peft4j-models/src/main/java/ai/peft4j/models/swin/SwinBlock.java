package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.DropPath;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Mlp;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.TokenGrid;

/**
 * One Swin block: window attention (shifted by half a window in odd blocks) and an MLP, each pre-normalised
 * and residual, with stochastic depth on both branches.
 */
public class SwinBlock extends Module {
    public SwinBlock(NDManager manager, int dim, int heads, int window, int shift, float mlpRatio, float drop,
            float attnDrop, float dropPath) {
        registerModule("norm1", new LayerNorm(manager, dim));
        registerModule("attn", new WindowAttention(manager, dim, window, shift, heads, attnDrop, drop));
        registerModule("drop_path", new DropPath(dropPath));
        registerModule("norm2", new LayerNorm(manager, dim));
        registerModule("mlp", new Mlp(manager, dim, (int) (dim * mlpRatio), Activation.gelu(), drop));
    }

    /** Tokens {@code [B, H*W, C]} after the block. */
    public NDArray forward(TokenGrid in) {
        NDArray x = in.x();
        NDArray attended = ((WindowAttention) child("attn")).forward(in.with(call("norm1", x)));
        NDArray out = x.add(call("drop_path", attended));
        return out.add(call("drop_path", call("mlp", call("norm2", out))));
    }
}
