package ai.peft4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/** Two 3x3 convolutions, each with batch norm and ReLU (PyTorch name {@code conv.0} ... {@code conv.5}). */
public class ConvBlock extends Module implements Layer {
    public ConvBlock(NDManager manager, int in, int out) {
        registerModule("conv", new Sequential(
                Conv2d.same(manager, in, out, 3), new BatchNorm2d(manager, out), Activation.relu(),
                Conv2d.same(manager, out, out, 3), new BatchNorm2d(manager, out), Activation.relu()));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("conv", x);
    }
}
