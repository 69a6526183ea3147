package ai.peft4j.models.tinyvit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * TinyViT's downsampling between stages: 1x1 conv, GELU, depthwise 3x3 (stride 2, or 1 for the widths 320, 448
 * and 576, as published), GELU, 1x1 conv, then flattened to tokens {@code [B, L, C]}. Takes an NCHW map or tokens
 * of its input resolution.
 */
public class PatchMerging extends Module implements Layer {
    private final int resolution;

    public PatchMerging(NDManager manager, int resolution, int dim, int outDim) {
        this.resolution = resolution;
        int stride = TinyVitConfig.mergesWithStrideOne(outDim) ? 1 : 2;
        registerModule("act", Activation.gelu());
        registerModule("conv1", new ConvBn(manager, dim, outDim, 1, 1, 0, 1));
        registerModule("conv2", new ConvBn(manager, outDim, outDim, 3, stride, 1, outDim));
        registerModule("conv3", new ConvBn(manager, outDim, outDim, 1, 1, 0, 1));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray map = x;
        if (x.getShape().dimension() == 3) {
            long b = x.getShape().get(0);
            map = x.reshape(b, resolution, resolution, -1).transpose(0, 3, 1, 2);
        }
        NDArray y = call("act", call("conv1", map));
        y = call("act", call("conv2", y));
        y = call("conv3", y);
        long b = y.getShape().get(0);
        long c = y.getShape().get(1);
        return y.reshape(b, c, -1).transpose(0, 2, 1);
    }
}
