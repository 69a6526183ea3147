package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/** DaViT's feed-forward layer: {@code net.fc1}, exact GELU ({@code net.act}), {@code net.fc2}. */
public class DaVitMlp extends Module implements Layer {
    public DaVitMlp(NDManager manager, int dim, int hidden) {
        registerModule("net", new Net(manager, dim, hidden));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("net", x);
    }

    /** The named sequence inside, so the linear layers are {@code net.fc1} and {@code net.fc2}. */
    public static final class Net extends Module implements Layer {
        Net(NDManager manager, int dim, int hidden) {
            registerModule("fc1", new Linear(manager, dim, hidden, true));
            registerModule("act", Activation.gelu());
            registerModule("fc2", new Linear(manager, hidden, dim, true));
        }

        @Override
        public NDArray forward(NDArray x) {
            return call("fc2", call("act", call("fc1", x)));
        }
    }
}
