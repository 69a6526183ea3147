package ai.peft4j.peft.convpass;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * Convpass on NCHW maps, for decoder blocks and attention gates: 1x1 convolution down, QuickGELU, 3x3
 * convolution, QuickGELU, dropout, 1x1 convolution up (zero at start).
 */
public class ConvpassMap extends Module implements Layer {
    public ConvpassMap(NDManager manager, int in, int dim) {
        Conv2d conv = registerModule("adapter_conv", new Conv2d(manager, dim, dim, 3, 1, 1, 1, true));
        Initializers.constant(conv.bias(), 0f);
        registerModule("adapter_down", new Conv2d(manager, in, dim, 1, 1, 0, 1, true));
        Conv2d up = registerModule("adapter_up", new Conv2d(manager, dim, in, 1, 1, 0, 1, true));
        Initializers.constant(up.weight(), 0f);
        Initializers.constant(up.bias(), 0f);
        registerModule("act", Activation.quickGelu());
        registerModule("dropout", new Dropout(0.1f));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray h = call("act", call("adapter_down", x));
        h = call("act", call("adapter_conv", h));
        return call("adapter_up", call("dropout", h));
    }
}
