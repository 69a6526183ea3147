package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * The multi-scale convolution pyramid ({@code MultiscalePyramid}, "MSP") of the published FastSegFormer: four
 * parallel convolution blocks with kernels 1, 3, 5 and 7 ("same" padding, a quarter of the channels each), each
 * followed by a 1x1 block ({@code conv5} ... {@code conv8}); concatenated with the input and fused by a 1x1 block.
 */
public class MultiscalePyramid extends Module implements Layer {
    private static final int[] KERNELS = {1, 3, 5, 7};

    public MultiscalePyramid(NDManager manager, int in, int out) {
        int inter = in / 4;
        for (int i = 0; i < 4; i++) {
            registerModule("conv" + (i + 1), new ConvBnRelu(manager, in, inter, KERNELS[i], 1, KERNELS[i] / 2));
        }
        for (int i = 0; i < 4; i++) {
            registerModule("conv" + (i + 5), ConvBnRelu.pointwise(manager, inter, inter));
        }
        registerModule("out", ConvBnRelu.pointwise(manager, 2 * in, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDList parts = new NDList(x);
        for (int i = 0; i < 4; i++) {
            parts.add(call("conv" + (i + 5), call("conv" + (i + 1), x)));
        }
        return call("out", NDArrays.concat(parts, 1));
    }
}
