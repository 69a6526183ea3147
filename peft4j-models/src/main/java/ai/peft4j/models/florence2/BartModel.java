package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;

/**
 * The encoder-decoder without its head ({@code language_model.model}): the shared token table ({@code shared}),
 * {@code encoder} and {@code decoder}, whose {@code embed_tokens} are the same parameter.
 */
public class BartModel extends Module {
    public BartModel(NDManager manager, BartConfig config) {
        TokenEmbedding shared = registerModule("shared", new TokenEmbedding(manager, config.vocabSize(),
                config.dModel()));
        registerModule("encoder", new BartEncoder(manager, config, shared.weight()));
        registerModule("decoder", new BartDecoder(manager, config, shared.weight()));
    }

    public TokenEmbedding shared() {
        return (TokenEmbedding) child("shared");
    }

    public BartEncoder encoder() {
        return (BartEncoder) child("encoder");
    }

    public BartDecoder decoder() {
        return (BartDecoder) child("decoder");
    }

    /** The shared table's parameter, the one every tied name refers to. */
    Parameter sharedWeight() {
        return shared().weight();
    }
}
