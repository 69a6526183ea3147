package ai.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * {@code LayerNorm(dropout(dense(h)) + residual)}: BERT's post-norm sub-layer output, which transformers calls
 * {@code BertSelfOutput} after attention and {@code BertOutput} after the feed-forward layer (same form and names).
 */
public class BertOutput extends Module {
    public BertOutput(NDManager manager, int in, BertConfig config) {
        registerModule("dense", new Linear(manager, in, config.hidden(), true));
        registerModule("LayerNorm", new LayerNorm(manager, config.hidden(), config.layerNormEps()));
        registerModule("dropout", new Dropout(0.1f));
    }

    public NDArray forward(NDArray h, NDArray residual) {
        NDArray y = call("LayerNorm", call("dropout", call("dense", h)).add(residual));
        return runHooks(y, h, residual);
    }
}
