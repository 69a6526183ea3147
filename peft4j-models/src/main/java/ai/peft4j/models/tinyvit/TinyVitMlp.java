package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/** TinyViT's MLP, which normalises its own input: {@code fc2(GELU(fc1(norm(x))))}. */
public class TinyVitMlp extends Module implements Layer {
    public TinyVitMlp(NDManager manager, int dim, int hidden) {
        registerModule("norm", new LayerNorm(manager, dim));
        registerModule("fc1", new Linear(manager, dim, hidden, true));
        registerModule("fc2", new Linear(manager, hidden, dim, true));
        registerModule("act", Activation.gelu());
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("fc2", call("act", call("fc1", call("norm", x))));
    }
}
