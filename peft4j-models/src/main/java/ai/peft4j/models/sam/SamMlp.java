package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/** segment-anything's {@code MLPBlock}: {@code lin2(act(lin1(x)))} (GELU in the encoder, ReLU in the decoder). */
public class SamMlp extends Module implements Layer {
    public SamMlp(NDManager manager, int dim, int hidden, Activation act) {
        registerModule("lin1", new Linear(manager, dim, hidden, true));
        registerModule("lin2", new Linear(manager, hidden, dim, true));
        registerModule("act", act);
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("lin2", call("act", call("lin1", x)));
    }
}
