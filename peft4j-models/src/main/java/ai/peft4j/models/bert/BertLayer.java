package ai.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * One post-norm encoder layer: {@code attention.self}, {@code attention.output}, {@code intermediate.dense} with
 * exact (erf) GELU, and {@code output}; the containers exist so the state-dict names are transformers'.
 */
public class BertLayer extends Module {
    public BertLayer(NDManager manager, BertConfig config) {
        registerModule("attention", new Attention(manager, config));
        registerModule("intermediate", new Intermediate(manager, config));
        registerModule("output", new BertOutput(manager, config.intermediate(), config));
    }

    /** {@code x [B, S, H]} with the attention's {@code maskBias} (or null). */
    public NDArray forward(NDArray x, NDArray maskBias) {
        NDArray a = ((Attention) child("attention")).forward(x, maskBias);
        NDArray y = ((BertOutput) child("output")).forward(call("intermediate", a), a);
        return runHooks(y, x, maskBias);
    }

    /** transformers' {@code BertAttention}: {@code self}, then {@code output} with the residual. */
    public static final class Attention extends Module {
        Attention(NDManager manager, BertConfig config) {
            registerModule("self", new BertSelfAttention(manager, config));
            registerModule("output", new BertOutput(manager, config.hidden(), config));
        }

        public NDArray forward(NDArray x, NDArray maskBias) {
            NDArray a = ((BertSelfAttention) child("self")).forward(x, maskBias);
            return runHooks(((BertOutput) child("output")).forward(a, x), x, maskBias);
        }
    }

    /** transformers' {@code BertIntermediate}: {@code dense} to the feed-forward width, then GELU. */
    public static final class Intermediate extends Module implements Layer {
        Intermediate(NDManager manager, BertConfig config) {
            registerModule("dense", new Linear(manager, config.hidden(), config.intermediate(), true));
            registerModule("intermediate_act_fn", Activation.gelu());
        }

        @Override
        public NDArray forward(NDArray x) {
            return call("intermediate_act_fn", call("dense", x));
        }
    }
}
