package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.AvgPool2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * The queries of the downsampling attention ({@code LGQuery}): a stride-2 subsample ("pool", a 1x1 average pool)
 * plus a stride-2 depth-wise 3x3 convolution ("local"), then a 1x1 projection with BatchNorm.
 */
public class LocalGlobalQuery extends Module implements Layer {
    public LocalGlobalQuery(NDManager manager, int in, int out) {
        registerModule("pool", new AvgPool2d(1, 2, 0, true));
        registerModule("local", new Sequential(new Conv2d(manager, in, in, 3, 2, 1, in, true)));
        registerModule("proj", Attention4D.convBn(manager, in, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("proj", call("local", x).add(call("pool", x)));
    }
}
