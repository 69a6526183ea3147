package ai.peft4j.models;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Module;
import ai.peft4j.models.fastsegformer.FastSegFormer;
import ai.peft4j.models.fastsegformer.FastSegFormerConfig;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNet;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNetConfig;
import ai.peft4j.models.sam.EfficientSam;
import ai.peft4j.models.sam.EfficientSamConfig;
import ai.peft4j.models.sam.PromptableSegmenter;
import ai.peft4j.models.sam.Sam;
import ai.peft4j.models.sam.SamConfig;
import ai.peft4j.models.sam.SamVariant;
import ai.peft4j.models.swin.SwinConfig;
import ai.peft4j.models.swin.SwinTransformer;
import ai.peft4j.models.tinyvit.TinyVitConfig;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.models.vit.VitConfig;
import java.util.List;
import java.util.Locale;

/**
 * A model named as a user names it: {@code swin-att-unet} on {@code swin-t}, with 6 classes. Configuration files
 * and command-line options map onto this value; {@link #build} makes the module tree.
 *
 * @param model the architecture, one of {@link #MODELS}
 * @param backbone the backbone preset ({@code swin-t}, {@code swin-s}, {@code swin-fixture} for the Swin models;
 *     {@code poolformer-s12}, {@code efficientformerv2-s0} for FastSegFormer-P and -E, which have one each;
 *     {@code vit-fixture}, {@code vit-b16} for {@code vit})
 * @param numClasses output classes, background included
 */
public record ModelSpec(String model, String backbone, int numClasses) {
    /** Architectures that can be built by name. */
    public static final List<String> MODELS = List.of("swin-att-unet", "swin", "vit", "fastsegformer-p",
            "fastsegformer-e", "fastsegformer-teacher", "sam-vit-b", "sam-vit-l", "sam-vit-h", "sam-fixture",
            "mobile-sam", "mobile-sam-fixture", "efficient-sam-vit-t", "efficient-sam-vit-s",
            "efficient-sam-fixture");

    /**
     * The promptable segmenters of the SAM family ({@link PromptableSegmenter}), one configuration each: the
     * published sizes and the reference fixture's small ones. Their backbone is the model itself.
     */
    public static final List<String> PROMPTABLE = List.of("sam-vit-b", "sam-vit-l", "sam-vit-h", "sam-fixture",
            "mobile-sam", "mobile-sam-fixture", "efficient-sam-vit-t", "efficient-sam-vit-s",
            "efficient-sam-fixture");

    public ModelSpec {
        model = model.toLowerCase(Locale.ROOT);
        backbone = backbone.toLowerCase(Locale.ROOT);
        if (!MODELS.contains(model)) {
            throw new IllegalArgumentException("unknown model '" + model + "' (known: " + String.join(", ", MODELS)
                    + ")");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("classes must be at least 1, got " + numClasses);
        }
        switch (model) {
            case "fastsegformer-p", "fastsegformer-e", "fastsegformer-teacher" -> {
                String only = defaultBackbone(model);
                if (!only.equals(backbone)) {
                    throw new IllegalArgumentException(model + " is published on " + only + " only, got backbone '"
                            + backbone + "' (leave the backbone out or give " + only + ")");
                }
            }
            case "vit" -> VitConfig.preset(backbone, numClasses);
            case "sam-vit-b", "sam-vit-l", "sam-vit-h", "sam-fixture", "mobile-sam", "mobile-sam-fixture",
                    "efficient-sam-vit-t", "efficient-sam-vit-s", "efficient-sam-fixture" -> {
                if (!model.equals(backbone)) {
                    throw new IllegalArgumentException(model + " has no backbone to choose, got '" + backbone
                            + "' (leave the backbone out)");
                }
            }
            default -> SwinConfig.preset(backbone);
        }
    }

    /** A spec on the model's default backbone when {@code backbone} is null or blank. */
    public static ModelSpec of(String model, String backbone, int numClasses) {
        String b = backbone == null || backbone.isBlank() ? defaultBackbone(model) : backbone;
        return new ModelSpec(model, b, numClasses);
    }

    /** The backbone a model is built on when none is named. */
    public static String defaultBackbone(String model) {
        switch (model.toLowerCase(Locale.ROOT)) {
            case "fastsegformer-p":
                return FastSegFormerConfig.Backbone.POOLFORMER_S12.id();
            case "fastsegformer-e":
                return FastSegFormerConfig.Backbone.EFFICIENTFORMER_V2_S0.id();
            case "vit":
                return "vit-b16";
            default:
                return PROMPTABLE.contains(model.toLowerCase(Locale.ROOT)) ? model.toLowerCase(Locale.ROOT)
                        : "swin-t";
        }
    }

    /** Whether this is a promptable segmenter of the SAM family (see {@link #PROMPTABLE}). */
    public boolean promptable() {
        return PROMPTABLE.contains(model);
    }

    /**
     * A promptable segmenter with fresh weights for square inputs of side {@code imageSize} (a multiple of 16; the
     * published Medical-SAM-Adapter training uses 256). SAM ViT-B/L/H follow segment-anything's names and decoder
     * ({@link SamVariant#ORIGINAL}, which real checkpoints load into); {@code sam-fixture} is the reference fixture's
     * Medical-SAM-Adapter model; MobileSAM and EfficientSAM are built as Medical-SAM-Adapter builds them.
     */
    public PromptableSegmenter buildPromptable(NDManager manager, int imageSize) {
        return buildPromptable(manager, imageSize, 0);
    }

    /**
     * As {@link #buildPromptable(NDManager, int)} with a decoder of {@code maskTokens} mask tokens (0: the
     * published count), e.g. one per class for the prompt-free semantic mode ({@link ai.peft4j.models.sam.PromptFreeClasses}).
     */
    public PromptableSegmenter buildPromptable(NDManager manager, int imageSize, int maskTokens) {
        if (maskTokens < 0) {
            throw new IllegalArgumentException("mask tokens must be positive (0: the published count), got "
                    + maskTokens);
        }
        java.util.function.UnaryOperator<SamConfig.Decoder> d = x -> maskTokens == 0 ? x : x.withMaskTokens(
                maskTokens);
        if (imageSize < 16 || imageSize % 16 != 0) {
            throw new IllegalArgumentException(model + ": the input side must be a positive multiple of the 16-pixel "
                    + "patch (the position embedding is resized to the patch grid), got " + imageSize);
        }
        switch (model) {
            case "sam-vit-b":
                return sam(manager, SamConfig.vitB(imageSize, SamVariant.ORIGINAL), d);
            case "sam-vit-l":
                return sam(manager, SamConfig.vitL(imageSize, SamVariant.ORIGINAL), d);
            case "sam-vit-h":
                return sam(manager, SamConfig.vitH(imageSize, SamVariant.ORIGINAL), d);
            case "sam-fixture": {
                SamConfig f = SamConfig.fixture();
                return new Sam(manager, new SamConfig(imageSize, f.variant(), f.encoder(), f.promptEmbedDim(),
                        f.maskInChans(), d.apply(f.decoder())));
            }
            case "mobile-sam":
                return Sam.mobileSam(manager, TinyVitConfig.mobileSam(imageSize),
                        d.apply(SamConfig.Decoder.published()));
            case "mobile-sam-fixture": {
                TinyVitConfig f = TinyVitConfig.fixture();
                return Sam.mobileSam(manager, new TinyVitConfig(imageSize, f.embedDims(), f.depths(), f.heads(),
                        f.windowSizes(), f.mlpRatio(), f.mbconvExpandRatio(), f.localConvSize(), f.numClasses(),
                        f.neckChannels()), d.apply(new SamConfig.Decoder(2, 8, 64, 3, 32, 4, 2, 1)));
            }
            case "efficient-sam-vit-t":
                return efficientSam(manager, EfficientSamConfig.vitT(imageSize), d);
            case "efficient-sam-vit-s":
                return efficientSam(manager, EfficientSamConfig.vitS(imageSize), d);
            case "efficient-sam-fixture": {
                EfficientSamConfig f = EfficientSamConfig.fixture();
                return new EfficientSam(manager, new EfficientSamConfig(imageSize, f.encoder(), d.apply(f.decoder()),
                        f.upscalingDims(), f.maxPoints()));
            }
            default:
                throw new IllegalArgumentException(model + " is not a promptable segmenter (these are: "
                        + String.join(", ", PROMPTABLE) + ")");
        }
    }

    private static Sam sam(NDManager manager, SamConfig c, java.util.function.UnaryOperator<SamConfig.Decoder> d) {
        return new Sam(manager, c.withDecoder(d.apply(c.decoder())));
    }

    private static EfficientSam efficientSam(NDManager manager, EfficientSamConfig c,
            java.util.function.UnaryOperator<SamConfig.Decoder> d) {
        return new EfficientSam(manager, new EfficientSamConfig(c.imageSize(), c.encoder(), d.apply(c.decoder()),
                c.upscalingDims(), c.maxPoints()));
    }

    /** Builds the module tree with fresh (random) weights in {@code manager}. */
    public Module build(NDManager manager) {
        if (promptable()) {
            return (Module) buildPromptable(manager, model.endsWith("-fixture") ? 128
                    : 256);
        }
        switch (model) {
            case "swin-att-unet":
                return new SwinAttUNet(manager, unetConfig());
            case "swin":
                return new SwinTransformer(manager, SwinConfig.preset(backbone).withNumClasses(numClasses));
            case "fastsegformer-p":
            case "fastsegformer-e":
                return new FastSegFormer(manager, fastSegFormerConfig());
            case "fastsegformer-teacher":
                return new TeacherSwinAttUNet(manager, TeacherSwinAttUNetConfig.published(numClasses));
            case "vit":
                return new VisionTransformer(manager, VitConfig.preset(backbone, numClasses));
            default:
                throw new IllegalStateException(model);
        }
    }

    private SwinAttUNetConfig unetConfig() {
        return "swin-fixture".equals(backbone) ? SwinAttUNetConfig.fixture(numClasses)
                : SwinAttUNetConfig.published(backbone, numClasses);
    }

    private FastSegFormerConfig fastSegFormerConfig() {
        return FastSegFormerConfig.published(FastSegFormerConfig.Backbone.of(backbone), numClasses);
    }

    /** A one-line description, e.g. "Swin-Att-UNet, swin-t backbone, 6 classes". */
    public String describe() {
        switch (model) {
            case "swin-att-unet":
                return "Swin-Att-UNet (" + backbone + " backbone, base " + unetConfig().base() + ", " + numClasses
                        + " classes)";
            case "fastsegformer-p":
            case "fastsegformer-e":
                return fastSegFormerConfig().describe();
            case "fastsegformer-teacher":
                return "Swin-T-Att-UNet, FastSegFormer's teacher (" + backbone + " backbone, base "
                        + TeacherSwinAttUNetConfig.published(numClasses).base() + ", " + numClasses + " classes)";
            case "vit":
                VitConfig v = VitConfig.preset(backbone, numClasses);
                return "Vision Transformer (" + backbone + ": " + v.imageSize() + "x" + v.imageSize() + ", patch "
                        + v.patchSize() + ", dim " + v.embedDim() + ", depth " + v.depth() + ", " + numClasses
                        + "-class head)";
            case "sam-vit-b", "sam-vit-l", "sam-vit-h", "sam-fixture", "mobile-sam", "mobile-sam-fixture",
                    "efficient-sam-vit-t", "efficient-sam-vit-s", "efficient-sam-fixture":
                return model + " (promptable segmenter: one binary mask per prompt)";
            default:
                return "Swin Transformer (" + backbone + ", " + numClasses + "-class head)";
        }
    }
}
