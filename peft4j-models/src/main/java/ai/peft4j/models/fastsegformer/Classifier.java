package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * The head ({@code Classifer} in the published code): two depth-wise separable blocks, dropout 0.1 and a 1x1
 * convolution to {@code out} channels (the classes, or 32 features for the reconstruction branch).
 */
public class Classifier extends Module implements Layer {
    public Classifier(NDManager manager, int channels, int out) {
        registerModule("dsconv1", new DsConv(manager, channels, channels, 1));
        registerModule("dsconv2", new DsConv(manager, channels, channels, 1));
        registerModule("conv", new Sequential(new Dropout(0.1f), new Conv2d(manager, channels, out, 1, 1, 0, 1,
                true)));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("conv", call("dsconv2", call("dsconv1", x)));
    }
}
