package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.TokenGrid;

/** Cuts the image into non-overlapping patches with a strided convolution, then layer-normalises the tokens. */
public class PatchEmbed extends Module {
    private final int patch;

    public PatchEmbed(NDManager manager, int patch, int inChannels, int embedDim) {
        this.patch = patch;
        registerModule("proj", new Conv2d(manager, inChannels, embedDim, patch, patch, 0, 1, true));
        registerModule("norm", new LayerNorm(manager, embedDim));
    }

    /** TokenGrid {@code [B, H*W, C]} of an image {@code [B, 3, H0, W0]}, with the token grid size. */
    public TokenGrid forward(NDArray image) {
        Shape s = image.getShape();
        long h = s.get(2);
        long w = s.get(3);
        NDArray x = image;
        // An image whose sides are not multiples of the patch is padded on the right and bottom.
        if (h % patch != 0 || w % patch != 0) {
            long padW = (patch - w % patch) % patch;
            long padH = (patch - h % patch) % patch;
            x = x.pad(new Shape(0, padW, 0, padH), 0);
        }
        x = call("proj", x);
        long gh = x.getShape().get(2);
        long gw = x.getShape().get(3);
        x = x.reshape(x.getShape().get(0), x.getShape().get(1), gh * gw).transpose(0, 2, 1);
        return new TokenGrid(call("norm", x), (int) gh, (int) gw);
    }
}
