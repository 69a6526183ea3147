package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * Depth-wise separable convolution ({@code _DSConv}): depth-wise 3x3, BatchNorm, ReLU, then point-wise 1x1,
 * BatchNorm, ReLU; no biases.
 */
public class DsConv extends Module implements Layer {
    public DsConv(NDManager manager, int in, int out, int stride) {
        registerModule("conv", new Sequential(
                new Conv2d(manager, in, in, 3, stride, 1, in, false), new BatchNorm2d(manager, in),
                Activation.relu(),
                new Conv2d(manager, in, out, 1, 1, 0, 1, false), new BatchNorm2d(manager, out),
                Activation.relu()));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("conv", x);
    }
}
