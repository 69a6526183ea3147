package ai.peft4j.models.fastsegformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * Stages of {@link LinearBottleneck}s ({@code bottleneck1}, {@code bottleneck2}, ...; stride 1, expansion
 * {@code t}) followed by the pyramid, which the published code names {@code ppm} whichever pyramid it is.
 */
public class GlobalFeatureExtractor extends Module implements Layer {
    private final int stages;

    public GlobalFeatureExtractor(NDManager manager, int in, int[] blockChannels, int out, int t, int[] numBlocks,
            FastSegFormerConfig.Pyramid pyramid) {
        if (blockChannels.length != numBlocks.length || blockChannels.length == 0) {
            throw new IllegalArgumentException("one block count per bottleneck stage is needed");
        }
        this.stages = blockChannels.length;
        int c = in;
        for (int s = 0; s < stages; s++) {
            Sequential stage = new Sequential();
            for (int b = 0; b < numBlocks[s]; b++) {
                stage.add(new LinearBottleneck(manager, b == 0 ? c : blockChannels[s], blockChannels[s], t, 1));
            }
            registerModule("bottleneck" + (s + 1), stage);
            c = blockChannels[s];
        }
        registerModule("ppm", pyramid == FastSegFormerConfig.Pyramid.POOLING ? new PyramidPooling(manager, c, out)
                : new MultiscalePyramid(manager, c, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray y = x;
        for (int s = 0; s < stages; s++) {
            y = call("bottleneck" + (s + 1), y);
        }
        return call("ppm", y);
    }
}
