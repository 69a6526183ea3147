package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** TinyViT's {@code Conv2d_BN}: a convolution without bias ({@code c}) followed by BatchNorm ({@code bn}). */
public class ConvBn extends Module implements Layer {
    public ConvBn(NDManager manager, int in, int out, int kernel, int stride, int padding, int groups) {
        registerModule("c", new Conv2d(manager, in, out, kernel, stride, padding, groups, false));
        registerModule("bn", new BatchNorm2d(manager, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("bn", call("c", x));
    }
}
