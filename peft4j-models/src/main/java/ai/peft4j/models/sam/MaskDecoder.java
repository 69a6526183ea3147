package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.ConvTranspose2d;
import ai.peft4j.core.nn.LayerNorm2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;

/**
 * SAM's mask decoder. The output tokens ({@code iou_token}, then the mask tokens) go before the prompt tokens into
 * the two-way transformer with the image embedding plus the dense prompt embedding; the image side is upscaled 4x
 * (two 2x2 transposed convolutions, LayerNorm2d and GELU), each mask token's hypernetwork MLP gives the weights
 * of its mask over the upscaled channels, and the IoU head predicts each mask's quality from the IoU token.
 */
public class MaskDecoder extends Module {
    private final int dim;
    private final int numMaskTokens;
    private final SamVariant variant;
    private final int multimaskOutput;

    public MaskDecoder(NDManager manager, int dim, SamConfig.Decoder config, SamVariant variant) {
        this.dim = dim;
        this.numMaskTokens = config.numMaskTokens();
        this.variant = variant;
        this.multimaskOutput = config.multimaskOutput();
        registerModule("transformer", new TwoWayTransformer(manager, config.depth(), dim, config.heads(),
                config.mlpDim(), config.attentionDownsampleRate(), variant, Activation::relu));
        registerModule("iou_token", new Embedding(manager, 1, dim));
        registerModule("mask_tokens", new Embedding(manager, numMaskTokens, dim));
        registerModule("output_upscaling", new Sequential(
                new ConvTranspose2d(manager, dim, dim / 4, 2, 2, true),
                new LayerNorm2d(manager, dim / 4),
                Activation.gelu(),
                new ConvTranspose2d(manager, dim / 4, dim / 8, 2, 2, true),
                Activation.gelu()));
        ModuleList<ReluMlp> hyper = new ModuleList<>(ReluMlp.class);
        for (int i = 0; i < numMaskTokens; i++) {
            hyper.add(new ReluMlp(manager, dim, dim, dim / 8, 3));
        }
        registerModule("output_hypernetworks_mlps", hyper);
        registerModule("iou_prediction_head", new ReluMlp(manager, dim, config.iouHeadHiddenDim(), numMaskTokens,
                config.iouHeadDepth()));
    }

    public int numMaskTokens() {
        return numMaskTokens;
    }

    /**
     * The masks the published decoder returns: segment-anything's token 0 (or tokens 1.. when
     * {@code multimask}); Medical-SAM-Adapter's first {@code multimask_output} tokens, whatever {@code multimask}
     * says.
     */
    public MaskPrediction forward(NDArray imageEmbeddings, NDArray imagePe, PromptEmbeddings prompts,
            boolean multimask) {
        MaskPrediction all = predictMasks(imageEmbeddings, imagePe, prompts);
        if (variant == SamVariant.MSA) {
            return all.tokens(0, multimaskOutput);
        }
        return multimask ? all.tokens(1, numMaskTokens) : all.tokens(0, 1);
    }

    /** Every mask token's mask and IoU ({@code predict_masks}). */
    public MaskPrediction predictMasks(NDArray imageEmbeddings, NDArray imagePe, PromptEmbeddings prompts) {
        NDArray sparse = prompts.sparse();
        long b = sparse.getShape().get(0);
        // The concatenation is a new array, so it may move to the activations' manager; the parameters may not.
        NDArray output = near(((Embedding) child("iou_token")).weight().data()
                .concat(((Embedding) child("mask_tokens")).weight().data(), 0), sparse);
        NDArray tokens = output.expandDims(0).broadcast(new Shape(b, 1 + numMaskTokens, dim)).concat(sparse, 1);

        NDArray src = imageEmbeddings;
        if (src.getShape().get(0) != b) {
            // One image, several prompts: repeat the image per prompt (repeat_interleave).
            src = src.repeat(0, b / src.getShape().get(0));
        }
        src = src.add(prompts.dense());
        NDArray pos = imagePe.repeat(0, b / imagePe.getShape().get(0));
        long c = src.getShape().get(1);
        long h = src.getShape().get(2);
        long w = src.getShape().get(3);

        NDList out = ((TwoWayTransformer) child("transformer")).forward(src, pos, tokens);
        NDArray hs = out.get(0);
        NDArray iouTokenOut = hs.get(":, 0, :");
        NDArray upscaled = call("output_upscaling", out.get(1).transpose(0, 2, 1).reshape(b, c, h, w));

        @SuppressWarnings("unchecked")
        ModuleList<ReluMlp> hyper = (ModuleList<ReluMlp>) child("output_hypernetworks_mlps");
        NDList perToken = new NDList();
        for (int i = 0; i < numMaskTokens; i++) {
            perToken.add(hyper.get(i).forward(hs.get(":, " + (1 + i) + ", :")));
        }
        NDArray hyperIn = NDArrays.stack(perToken, 1);
        Shape us = upscaled.getShape();
        NDArray masks = hyperIn.matMul(upscaled.reshape(us.get(0), us.get(1), us.get(2) * us.get(3)))
                .reshape(us.get(0), numMaskTokens, us.get(2), us.get(3));
        NDArray iou = call("iou_prediction_head", iouTokenOut);
        return new MaskPrediction(masks, iou);
    }
}
