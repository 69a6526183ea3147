package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.AdaptivePooling;
import ai.peft4j.core.tensor.Resize;

/**
 * The pooling pyramid ({@code PyramidPooling}, "PPM"): the map is average-pooled to 1x1, 2x2, 3x3 and 6x6 cells
 * (torch's adaptive bins), each reduced to a quarter of the channels (1x1 conv, BN, ReLU) and resized back with
 * aligned corners; the four are concatenated with the input and fused by a 1x1 convolution block.
 */
public class PyramidPooling extends Module implements Layer {
    private static final int[] BINS = {1, 2, 3, 6};

    public PyramidPooling(NDManager manager, int in, int out) {
        int inter = in / 4;
        for (int i = 0; i < 4; i++) {
            registerModule("conv" + (i + 1), ConvBnRelu.pointwise(manager, in, inter));
        }
        registerModule("out", ConvBnRelu.pointwise(manager, 2 * in, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDList parts = new NDList(x);
        for (int i = 0; i < 4; i++) {
            NDArray pooled = AdaptivePooling.avgPool2d(x, BINS[i], BINS[i]);
            parts.add(Resize.bilinear(call("conv" + (i + 1), pooled), h, w, true));
        }
        return call("out", NDArrays.concat(parts, 1));
    }
}
