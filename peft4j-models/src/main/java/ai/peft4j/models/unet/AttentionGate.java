package ai.peft4j.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * The additive attention gate of Attention U-Net: the decoder signal {@code g} and the skip {@code x} are each
 * projected to {@code intermediate} channels, summed, passed through ReLU, a 1x1 convolution and a sigmoid; the
 * resulting one-channel map scales the skip.
 */
public class AttentionGate extends Module {
    public AttentionGate(NDManager manager, int gateChannels, int skipChannels, int intermediate) {
        registerModule("W_g", new Sequential(new Conv2d(manager, gateChannels, intermediate, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, intermediate)));
        registerModule("W_x", new Sequential(new Conv2d(manager, skipChannels, intermediate, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, intermediate)));
        registerModule("psi", new Sequential(new Conv2d(manager, intermediate, 1, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, 1), Activation.sigmoid()));
        registerModule("relu", Activation.relu());
    }

    /** The gated skip: {@code x * sigmoid(psi(relu(W_g g + W_x x)))}; hooks see the inputs {@code (g, x)}. */
    public NDArray forward(NDArray g, NDArray x) {
        NDArray a = call("relu", call("W_g", g).add(call("W_x", x)));
        return runHooks(x.mul(call("psi", a)), g, x);
    }
}
