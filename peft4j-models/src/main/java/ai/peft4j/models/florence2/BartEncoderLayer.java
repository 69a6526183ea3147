package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * A post-norm BART encoder layer: self-attention, {@code self_attn_layer_norm}, {@code fc1}-GELU-{@code fc2},
 * {@code final_layer_norm}.
 */
public class BartEncoderLayer extends Module {
    public BartEncoderLayer(NDManager manager, int dim, int heads, int ffn) {
        registerModule("self_attn", new BartAttention(manager, dim, heads));
        registerModule("self_attn_layer_norm", new LayerNorm(manager, dim));
        registerModule("activation_fn", Activation.gelu());
        registerModule("fc1", new Linear(manager, dim, ffn, true));
        registerModule("fc2", new Linear(manager, ffn, dim, true));
        registerModule("final_layer_norm", new LayerNorm(manager, dim));
    }

    /** {@code x [B, S, D]} with the padding {@code maskBias} {@code [B, 1, 1, S]} or null. */
    public NDArray forward(NDArray x, NDArray maskBias) {
        NDArray h = call("self_attn_layer_norm", x.add(((BartAttention) child("self_attn")).forward(x, x, maskBias)));
        NDArray f = call("fc2", call("activation_fn", call("fc1", h)));
        return runHooks(call("final_layer_norm", h.add(f)), x, maskBias);
    }
}
