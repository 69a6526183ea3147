package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * EfficientFormerV2's MLP with a depth-wise middle convolution: {@code fc1 -> norm1 -> GELU -> mid (3x3 dw) ->
 * mid_norm -> GELU -> fc2 -> norm2}, every norm a BatchNorm. Members keep the published registration order
 * ({@code fc1, act, fc2, drop, mid, mid_norm, norm1, norm2}), which is the state-dict order.
 */
public class MidConvMlp extends Module implements Layer {
    public MidConvMlp(NDManager manager, int dim, int hidden, float drop) {
        Conv2d fc1 = registerModule("fc1", new Conv2d(manager, dim, hidden, 1, 1, 0, 1, true));
        registerModule("act", Activation.gelu());
        Conv2d fc2 = registerModule("fc2", new Conv2d(manager, hidden, dim, 1, 1, 0, 1, true));
        registerModule("drop", new Dropout(drop));
        // The published init runs before `mid` exists: only fc1 and fc2 get trunc_normal(0.02) and zero biases.
        for (Conv2d c : new Conv2d[] {fc1, fc2}) {
            Initializers.truncNormal(c.weight(), 0.02f);
            Initializers.constant(c.bias(), 0f);
        }
        registerModule("mid", new Conv2d(manager, hidden, hidden, 3, 1, 1, hidden, true));
        registerModule("mid_norm", new BatchNorm2d(manager, hidden));
        registerModule("norm1", new BatchNorm2d(manager, hidden));
        registerModule("norm2", new BatchNorm2d(manager, dim));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray h = call("act", call("norm1", call("fc1", x)));
        h = call("act", call("mid_norm", call("mid", h)));
        h = call("drop", h);
        return call("drop", call("norm2", call("fc2", h)));
    }
}
