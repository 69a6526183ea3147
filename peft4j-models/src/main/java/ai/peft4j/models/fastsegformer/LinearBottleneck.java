package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * MobileNetV2's inverted residual: 1x1 expansion by {@code t} (BN, ReLU), depth-wise 3x3 (BN, ReLU), linear 1x1
 * projection (BN), with the input added back when stride is 1 and the widths agree.
 */
public class LinearBottleneck extends Module implements Layer {
    private final boolean shortcut;

    public LinearBottleneck(NDManager manager, int in, int out, int t, int stride) {
        this.shortcut = stride == 1 && in == out;
        int hidden = in * t;
        registerModule("block", new Sequential(ConvBnRelu.pointwise(manager, in, hidden),
                new DwConv(manager, hidden, hidden, stride), new Conv2d(manager, hidden, out, 1, 1, 0, 1, false),
                new BatchNorm2d(manager, out)));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray out = call("block", x);
        return shortcut ? x.add(out) : out;
    }
}
