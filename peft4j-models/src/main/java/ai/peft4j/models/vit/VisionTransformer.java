package ai.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;

/**
 * timm's {@code VisionTransformer}: patch embedding, a class token and a learned position embedding, pre-norm
 * blocks, a final norm, and a linear head on the class token. State-dict names are timm's ({@code cls_token},
 * {@code pos_embed}, {@code patch_embed.proj}, {@code blocks.N.attn.qkv}, {@code norm}, {@code head}), so a timm
 * checkpoint loads strictly.
 *
 * <p>The blocks are looked up at forward time and may be replaced as a whole (block expansion puts a longer list
 * in their place); any module list of one-input layers works.
 */
public class VisionTransformer extends Module implements Layer {
    private final VitConfig config;
    private final NDManager manager;

    public VisionTransformer(NDManager manager, VitConfig config) {
        this.config = config;
        this.manager = manager;
        int d = config.embedDim();
        // Parameters before children, as in timm, so the state dict lists them first.
        registerParameter("cls_token", Initializers.truncNormal(manager, new Shape(1, 1, d), 1e-6f));
        registerParameter("pos_embed", Initializers.truncNormal(manager, new Shape(1, config.tokens(), d), 0.02f));
        registerModule("patch_embed", new PatchEmbed(manager, config.imageSize(), config.patchSize(),
                config.inChannels(), d));
        registerModule("pos_drop", new Dropout(config.dropRate()));
        ModuleList<Module> blocks = new ModuleList<>(Module.class);
        for (int i = 0; i < config.depth(); i++) {
            blocks.add(newBlock(config.dropPath(i)));
        }
        registerModule("blocks", blocks);
        registerModule("norm", new LayerNorm(manager, d, Block.EPS));
        if (config.numClasses() > 0) {
            registerModule("head", new Linear(manager, d, config.numClasses(), true));
        }
    }

    public VitConfig config() {
        return config;
    }

    /** A fresh block of this model's shape (random weights), e.g. for block expansion to copy weights into. */
    public Block newBlock() {
        return newBlock(0f);
    }

    private Block newBlock(float dropPath) {
        return new Block(manager, config.embedDim(), config.heads(), config.mlpRatio(), config.qkvBias(),
                config.dropRate(), config.attnDropRate(), dropPath);
    }

    /** Logits {@code [B, classes]} (pooled features {@code [B, D]} without a head) of images {@code [B, C, H, W]}. */
    @Override
    public NDArray forward(NDArray images) {
        return head(features(images));
    }

    /** Tokens {@code [B, 1 + patches, D]} after the final norm. */
    public NDArray features(NDArray images) {
        NDArray x = call("patch_embed", images);
        long b = x.getShape().get(0);
        // The broadcast class token is new, so it can move to the activation's manager; the parameter cannot.
        NDArray cls = near(parameter("cls_token").data().broadcast(new Shape(b, 1, config.embedDim())), x);
        x = cls.concat(x, 1).add(parameter("pos_embed").data());
        x = call("pos_drop", x);
        ModuleList<?> blocks = (ModuleList<?>) child("blocks");
        for (int i = 0; i < blocks.size(); i++) {
            Module block = blocks.get(i);
            x = call(block, x, ((Layer) block)::forward);
        }
        return call("norm", x);
    }

    /** Class-token pooling, then the head when there is one. */
    public NDArray head(NDArray tokens) {
        NDArray pooled = tokens.get(":, 0, :");
        return hasChild("head") ? call("head", pooled) : pooled;
    }
}
