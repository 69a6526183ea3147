package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.ConvTranspose2d;
import ai.peft4j.core.nn.GroupNorm;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import java.util.List;

/**
 * EfficientSAM's mask decoder: SAM's token layout and the two-way transformer of Medical-SAM-Adapter (with GELU), no
 * dense prompt, upscaling by {@code final_output_upscaling_layers} (a 2x transposed convolution, GroupNorm(1) except
 * after the last, GELU), and hypernetwork and IoU MLPs of (Linear, GELU) layers followed by {@code fc}.
 */
public class EfficientSamMaskDecoder extends Module {
    private final int dim;
    private final int numMaskTokens;

    public EfficientSamMaskDecoder(NDManager manager, int dim, SamConfig.Decoder config, List<Integer> upscaling) {
        this.dim = dim;
        this.numMaskTokens = config.numMaskTokens();
        registerModule("transformer", new TwoWayTransformer(manager, config.depth(), dim, config.heads(),
                config.mlpDim(), config.attentionDownsampleRate(), SamVariant.MSA, Activation::gelu));
        registerModule("iou_token", new Embedding(manager, 1, dim));
        registerModule("mask_tokens", new Embedding(manager, numMaskTokens, dim));
        ModuleList<Sequential> up = new ModuleList<>(Sequential.class);
        int in = dim;
        for (int i = 0; i < upscaling.size(); i++) {
            int out = upscaling.get(i);
            up.add(new Sequential(new ConvTranspose2d(manager, in, out, 2, 2, true),
                    i < upscaling.size() - 1 ? new GroupNorm(manager, 1, out) : Activation.identity(),
                    Activation.gelu()));
            in = out;
        }
        registerModule("final_output_upscaling_layers", up);
        ModuleList<StackedMlp> hyper = new ModuleList<>(StackedMlp.class);
        for (int i = 0; i < numMaskTokens; i++) {
            hyper.add(new StackedMlp(manager, dim, dim, in, 2, Activation::gelu));
        }
        registerModule("output_hypernetworks_mlps", hyper);
        registerModule("iou_prediction_head", new StackedMlp(manager, dim, config.iouHeadHiddenDim(), numMaskTokens,
                config.iouHeadDepth(), Activation::gelu));
    }

    /** Token 0, or tokens 1.. with {@code multimask}; Medical-SAM-Adapter trains on token 0. */
    public MaskPrediction forward(NDArray imageEmbeddings, NDArray imagePe, NDArray sparse, boolean multimask) {
        MaskPrediction all = predictMasks(imageEmbeddings, imagePe, sparse);
        return multimask && numMaskTokens > 1 ? all.tokens(1, numMaskTokens) : all.tokens(0, 1);
    }

    /** Every mask token's mask and IoU for sparse prompts {@code [B, N, C]}. */
    public MaskPrediction predictMasks(NDArray imageEmbeddings, NDArray imagePe, NDArray sparse) {
        long b = sparse.getShape().get(0);
        // The concatenation is a new array, so it may move to the activations' manager; the parameters may not.
        NDArray output = near(((Embedding) child("iou_token")).weight().data()
                .concat(((Embedding) child("mask_tokens")).weight().data(), 0), sparse);
        NDArray tokens = output.expandDims(0).broadcast(new Shape(b, 1 + numMaskTokens, dim)).concat(sparse, 1);
        NDArray src = imageEmbeddings;
        if (src.getShape().get(0) != b) {
            src = src.repeat(0, b / src.getShape().get(0));
        }
        NDArray pos = imagePe.repeat(0, b / imagePe.getShape().get(0));
        long c = src.getShape().get(1);
        long h = src.getShape().get(2);
        long w = src.getShape().get(3);
        NDList out = ((TwoWayTransformer) child("transformer")).forward(src, pos, tokens);
        NDArray hs = out.get(0);
        NDArray up = out.get(1).transpose(0, 2, 1).reshape(b, c, h, w);
        @SuppressWarnings("unchecked")
        ModuleList<Sequential> layers = (ModuleList<Sequential>) child("final_output_upscaling_layers");
        for (int i = 0; i < layers.size(); i++) {
            up = layers.get(i).forward(up);
        }
        @SuppressWarnings("unchecked")
        ModuleList<StackedMlp> hyper = (ModuleList<StackedMlp>) child("output_hypernetworks_mlps");
        NDList perToken = new NDList();
        for (int i = 0; i < numMaskTokens; i++) {
            perToken.add(hyper.get(i).forward(hs.get(":, " + (1 + i) + ", :")));
        }
        Shape us = up.getShape();
        NDArray masks = NDArrays.stack(perToken, 1).matMul(up.reshape(us.get(0), us.get(1), us.get(2) * us.get(3)))
                .reshape(us.get(0), numMaskTokens, us.get(2), us.get(3));
        NDArray iou = call("iou_prediction_head", hs.get(":, 0, :"));
        return new MaskPrediction(masks, iou);
    }
}
