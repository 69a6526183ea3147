package ai.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/** Image {@code [B, C, H, W]} to patch tokens {@code [B, H/p * W/p, D]} with a strided convolution; no norm. */
public class PatchEmbed extends Module implements Layer {
    private final int imageSize;

    public PatchEmbed(NDManager manager, int imageSize, int patch, int inChannels, int embedDim) {
        this.imageSize = imageSize;
        registerModule("proj", new Conv2d(manager, inChannels, embedDim, patch, patch, 0, 1, true));
    }

    @Override
    public NDArray forward(NDArray image) {
        Shape s = image.getShape();
        // The position embedding is learned for one grid, so only that image size fits (timm's strict_img_size).
        if (s.dimension() != 4 || s.get(2) != imageSize || s.get(3) != imageSize) {
            throw new IllegalArgumentException("this ViT takes images [B, C, " + imageSize + ", " + imageSize
                    + "], got " + s);
        }
        NDArray x = call("proj", image);
        Shape g = x.getShape();
        return x.reshape(g.get(0), g.get(1), g.get(2) * g.get(3)).transpose(0, 2, 1);
    }
}
