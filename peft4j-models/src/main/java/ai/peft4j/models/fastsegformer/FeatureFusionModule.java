package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.tensor.Resize;

/**
 * Fuses the 1/32 global features into the 1/8 backbone map ({@code FFM}): the low-resolution branch is enlarged
 * x4 (bilinear, aligned corners; the factor is fixed in the published code), passed through a depth-wise block and
 * a 1x1 convolution with BN; the high-resolution one through a 1x1 convolution with BN; their sum goes through ReLU.
 */
public class FeatureFusionModule extends Module {
    private static final int SCALE = 4;

    public FeatureFusionModule(NDManager manager, int higherIn, int lowerIn, int out) {
        registerModule("dwconv", new DwConv(manager, lowerIn, out, 1));
        registerModule("conv_lower_res", new Sequential(new Conv2d(manager, out, out, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, out)));
        registerModule("conv_higher_res", new Sequential(new Conv2d(manager, higherIn, out, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, out)));
        registerModule("relu", Activation.relu());
    }

    public NDArray forward(NDArray higher, NDArray lower) {
        NDArray low = Resize.bilinearScale(lower, SCALE, true);
        low = call("conv_lower_res", call("dwconv", low));
        NDArray high = call("conv_higher_res", higher);
        if (!high.getShape().equals(low.getShape())) {
            throw new IllegalArgumentException("the 1/8 map " + high.getShape() + " is not 4x the global map "
                    + lower.getShape() + " (input sides must be multiples of 32)");
        }
        return call("relu", high.add(low));
    }
}
