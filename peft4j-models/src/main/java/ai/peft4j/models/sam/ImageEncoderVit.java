package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.tensor.Resize;
import java.util.ArrayList;
import java.util.List;

/**
 * SAM's ViT image encoder (ViTDet-style): patch embedding to {@code [B, H, W, C]}, plus an absolute position
 * embedding, the blocks (windowed, and global at the configured indexes), then the neck (1x1 conv, LayerNorm2d,
 * 3x3 conv, LayerNorm2d, no biases) to the image embedding {@code [B, outChans, H, W]}.
 *
 * <p>segment-anything's {@code pos_embed} is always {@code [1, 64, 64, C]} (made for 1024 / 16) and is resized by
 * bicubic interpolation to the token grid of smaller inputs, as the published code does at run time. EfficientSAM's
 * encoder ({@link SamConfig.EncoderLayout#EFFICIENT_SAM}) keeps a 224 / 16 grid behind a class token instead.
 */
public class ImageEncoderVit extends Module implements Layer {
    private final boolean efficientSam;

    public ImageEncoderVit(NDManager manager, SamConfig config) {
        this(manager, config.encoder(), config.imageSize(), config.variant());
    }

    /**
     * @param imageSize side of the input, which sizes the global blocks' relative position tables
     * @param variant which names the relative position tables get
     */
    public ImageEncoderVit(NDManager manager, SamConfig.Encoder e, int imageSize, SamVariant variant) {
        int d = e.embedDim();
        int p = e.patchSize();
        efficientSam = e.layout() == SamConfig.EncoderLayout.EFFICIENT_SAM;
        registerParameter("pos_embed", efficientSam ? manager.zeros(new Shape(1, 1 + (224 / p) * (224 / p), d))
                : manager.zeros(new Shape(1, 1024 / p, 1024 / p, d)));
        registerModule("patch_embed", new PatchEmbed(manager, p, 3, d, !efficientSam));
        ModuleList<Module> blocks = new ModuleList<>(Module.class);
        int grid = imageSize / p;
        for (int i = 0; i < e.depth(); i++) {
            blocks.add(new VitBlock(manager, e, e.windowOf(i), grid, variant));
        }
        registerModule("blocks", blocks);
        registerModule("neck", new Sequential(
                new Conv2d(manager, d, e.outChans(), 1, 1, 0, 1, false),
                new LayerNorm2d(manager, e.outChans()),
                new Conv2d(manager, e.outChans(), e.outChans(), 3, 1, 1, 1, false),
                new LayerNorm2d(manager, e.outChans())));
    }

    /** The image embedding {@code [B, outChans, H / 16, W / 16]} of images {@code [B, 3, H, W]}. */
    @Override
    public NDArray forward(NDArray images) {
        List<NDArray> trunk = trunk(images);
        return neck(trunk.get(trunk.size() - 1));
    }

    /**
     * The patch embedding (before the position embedding) and each block's output {@code [B, H, W, C]}: the maps
     * the published fixtures store as {@code image_encoder.patch_embed} and {@code image_encoder.blocks.i}.
     */
    public List<NDArray> trunk(NDArray images) {
        List<NDArray> out = new ArrayList<>();
        NDArray x = call("patch_embed", images);
        out.add(x);
        if (efficientSam) {
            x = x.transpose(0, 2, 3, 1);
        }
        x = x.add(positionEmbedding(x, x.getShape().get(1), x.getShape().get(2)));
        ModuleList<?> blocks = (ModuleList<?>) child("blocks");
        for (int i = 0; i < blocks.size(); i++) {
            x = ((Layer) blocks.get(i)).forward(x);
            out.add(x);
        }
        return out;
    }

    /** The neck on the last block's output {@code [B, H, W, C]}. */
    public NDArray neck(NDArray tokens) {
        return call("neck", tokens.transpose(0, 3, 1, 2));
    }

    /**
     * {@code pos_embed} at an {@code h x w} grid: as stored when it matches, else bicubic (align_corners off). What
     * is computed from the parameter moves to the manager of {@code like}; the parameter itself never does.
     */
    private NDArray positionEmbedding(NDArray like, long h, long w) {
        NDArray pos = parameter("pos_embed").data();
        if (efficientSam) {
            // Drop the class token's entry and lay the rest out as its square grid.
            long n = pos.getShape().get(1) - 1;
            long side = Math.round(Math.sqrt(n));
            pos = near(pos.get(":, 1:, :"), like).reshape(1, side, side, pos.getShape().get(2));
        }
        if (pos.getShape().get(1) == h && pos.getShape().get(2) == w) {
            return pos;
        }
        NDArray map = pos.transpose(0, 3, 1, 2);
        if (!efficientSam) {
            map = near(map, like);
        }
        return Resize.bicubic(map, h, w, false).transpose(0, 2, 3, 1);
    }
}
