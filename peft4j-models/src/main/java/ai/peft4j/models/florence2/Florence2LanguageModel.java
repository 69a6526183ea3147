package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * Florence-2's {@code language_model}: the encoder-decoder ({@code model}), the zero {@code final_logits_bias}
 * buffer and {@code lm_head}, a bias-free linear layer whose weight is the shared token table. Because the weight
 * is one parameter, an adapter merged into {@code lm_head} changes the token embeddings too, as HF PEFT's merge does.
 */
public class Florence2LanguageModel extends Module {
    private final BartConfig config;

    public Florence2LanguageModel(NDManager manager, BartConfig config) {
        this.config = config;
        registerBuffer("final_logits_bias", manager.zeros(new Shape(1, config.vocabSize())), true);
        BartModel model = registerModule("model", new BartModel(manager, config));
        registerModule("lm_head", new Linear(model.sharedWeight(), null));
    }

    public BartConfig config() {
        return config;
    }

    public BartModel model() {
        return (BartModel) child("model");
    }

    /** Logits {@code [B, T, V]} of decoder states {@code [B, T, D]}: {@code lm_head} plus the logits bias. */
    public NDArray logits(NDArray decoderStates) {
        // The buffer is added, never attached to the activation's manager, so freeing activations leaves it alone.
        return call("lm_head", decoderStates).add(buffer("final_logits_bias").data());
    }
}
