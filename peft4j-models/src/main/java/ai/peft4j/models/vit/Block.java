package ai.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.DropPath;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Mlp;
import ai.peft4j.core.nn.Module;

/**
 * A pre-norm transformer block, {@code x + attn(norm1(x))} then {@code x + mlp(norm2(x))}. With {@code attn.proj}
 * and {@code mlp.fc2} zeroed it is the identity, which block expansion relies on.
 */
public class Block extends Module implements Layer {
    /** timm's LayerNorm eps for ViTs ({@code partial(nn.LayerNorm, eps=1e-6)}). */
    static final float EPS = 1e-6f;

    public Block(NDManager manager, int dim, int heads, float mlpRatio, boolean qkvBias, float drop, float attnDrop,
            float dropPath) {
        registerModule("norm1", new LayerNorm(manager, dim, EPS));
        registerModule("attn", new Attention(manager, dim, heads, qkvBias, attnDrop, drop));
        registerModule("drop_path1", new DropPath(dropPath));
        registerModule("norm2", new LayerNorm(manager, dim, EPS));
        registerModule("mlp", new Mlp(manager, dim, (int) (dim * mlpRatio), Activation.gelu(), drop));
        registerModule("drop_path2", new DropPath(dropPath));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray y = x.add(call("drop_path1", call("attn", call("norm1", x))));
        return y.add(call("drop_path2", call("mlp", call("norm2", y))));
    }
}
