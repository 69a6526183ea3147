package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** The transformer feed-forward block: {@code fc1 -> act -> drop1 -> fc2 -> drop2}, with timm's names. */
public class Mlp extends Module implements Layer {
    public Mlp(NDManager manager, int in, int hidden, Activation act, float drop) {
        registerModule("fc1", new Linear(manager, in, hidden, true));
        registerModule("act", act);
        registerModule("drop1", new Dropout(drop));
        registerModule("fc2", new Linear(manager, hidden, in, true));
        registerModule("drop2", new Dropout(drop));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray h = call("fc1", x);
        h = call("act", h);
        h = call("drop1", h);
        h = call("fc2", h);
        return call("drop2", h);
    }
}
