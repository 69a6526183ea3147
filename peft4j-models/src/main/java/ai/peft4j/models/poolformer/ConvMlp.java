package ai.peft4j.models.poolformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** The block MLP on NCHW maps: 1x1 convolution, GELU, dropout, 1x1 convolution, dropout. */
public class ConvMlp extends Module implements Layer {
    public ConvMlp(NDManager manager, int dim, int hidden, float drop) {
        Conv2d fc1 = registerModule("fc1", new Conv2d(manager, dim, hidden, 1, 1, 0, 1, true));
        registerModule("act", Activation.gelu());
        Conv2d fc2 = registerModule("fc2", new Conv2d(manager, hidden, dim, 1, 1, 0, 1, true));
        registerModule("drop", new Dropout(drop));
        // The published initialisation: trunc_normal(std 0.02) weights, zero biases.
        for (Conv2d c : new Conv2d[] {fc1, fc2}) {
            Initializers.truncNormal(c.weight(), 0.02f);
            Initializers.constant(c.bias(), 0f);
        }
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray h = call("drop", call("act", call("fc1", x)));
        return call("drop", call("fc2", h));
    }
}
