package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** An inverted residual on NCHW maps: 1x1 expand, GELU, depthwise 3x3, GELU, 1x1, plus the input, then GELU. */
public class MbConv extends Module implements Layer {
    public MbConv(NDManager manager, int dim, float expandRatio) {
        int hidden = (int) (dim * expandRatio);
        registerModule("conv1", new ConvBn(manager, dim, hidden, 1, 1, 0, 1));
        registerModule("act1", Activation.gelu());
        registerModule("conv2", new ConvBn(manager, hidden, hidden, 3, 1, 1, hidden));
        registerModule("act2", Activation.gelu());
        registerModule("conv3", new ConvBn(manager, hidden, dim, 1, 1, 0, 1));
        registerModule("act3", Activation.gelu());
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray y = call("act1", call("conv1", x));
        y = call("act2", call("conv2", y));
        return call("act3", call("conv3", y).add(x));
    }
}
