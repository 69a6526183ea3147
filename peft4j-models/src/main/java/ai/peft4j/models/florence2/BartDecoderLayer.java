package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * A post-norm BART decoder layer: causal self-attention, cross-attention to the encoder ({@code encoder_attn}) and
 * the feed-forward layer, each followed by its residual and LayerNorm.
 */
public class BartDecoderLayer extends Module {
    public BartDecoderLayer(NDManager manager, int dim, int heads, int ffn) {
        registerModule("self_attn", new BartAttention(manager, dim, heads));
        registerModule("activation_fn", Activation.gelu());
        registerModule("self_attn_layer_norm", new LayerNorm(manager, dim));
        registerModule("encoder_attn", new BartAttention(manager, dim, heads));
        registerModule("encoder_attn_layer_norm", new LayerNorm(manager, dim));
        registerModule("fc1", new Linear(manager, dim, ffn, true));
        registerModule("fc2", new Linear(manager, ffn, dim, true));
        registerModule("final_layer_norm", new LayerNorm(manager, dim));
    }

    /**
     * {@code x [B, T, D]} with its causal {@code selfMask} {@code [1, 1, T, T]}; {@code encoder [B, S, D]} with its
     * padding {@code encoderMask} {@code [B, 1, 1, S]} or null.
     */
    public NDArray forward(NDArray x, NDArray selfMask, NDArray encoder, NDArray encoderMask) {
        NDArray h = call("self_attn_layer_norm",
                x.add(((BartAttention) child("self_attn")).forward(x, x, selfMask)));
        h = call("encoder_attn_layer_norm",
                h.add(((BartAttention) child("encoder_attn")).forward(h, encoder, encoderMask)));
        NDArray f = call("fc2", call("activation_fn", call("fc1", h)));
        return runHooks(call("final_layer_norm", h.add(f)), x, selfMask, encoder, encoderMask);
    }

    /** One generation step of new tokens {@code x [B, T, D]} with this layer's cached keys and values. */
    public NDArray forwardCached(NDArray x, NDArray selfMask, NDArray encoder, NDArray encoderMask,
            DecoderCache.Entry self, DecoderCache.Entry cross) {
        NDArray h = call("self_attn_layer_norm",
                x.add(((BartAttention) child("self_attn")).forwardCached(x, x, selfMask, self, false)));
        h = call("encoder_attn_layer_norm",
                h.add(((BartAttention) child("encoder_attn")).forwardCached(h, encoder, encoderMask, cross, true)));
        NDArray f = call("fc2", call("activation_fn", call("fc1", h)));
        return runHooks(call("final_layer_norm", h.add(f)), x, selfMask, encoder, encoderMask);
    }
}
