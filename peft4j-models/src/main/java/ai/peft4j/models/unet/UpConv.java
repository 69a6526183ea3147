package ai.peft4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.nn.UpsampleNearest;

/** Nearest x2 upsampling, then a 3x3 convolution with batch norm and ReLU (PyTorch name {@code up.0} ... ). */
public class UpConv extends Module implements Layer {
    public UpConv(NDManager manager, int in, int out) {
        registerModule("up", new Sequential(new UpsampleNearest(2), Conv2d.same(manager, in, out, 3),
                new BatchNorm2d(manager, out), Activation.relu()));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("up", x);
    }
}
