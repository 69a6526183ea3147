package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** Downsampling between stages 1-2 and 2-3: a 3x3 stride-2 convolution ({@code proj}) with BatchNorm. */
public class Embedding extends Module implements Layer {
    public Embedding(NDManager manager, int in, int out) {
        registerModule("proj", new Conv2d(manager, in, out, 3, 2, 1, 1, true));
        registerModule("norm", new BatchNorm2d(manager, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("norm", call("proj", x));
    }
}
