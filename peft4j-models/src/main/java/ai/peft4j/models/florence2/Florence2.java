package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;
import java.util.List;

/**
 * Florence-2 ({@code Florence2ForConditionalGeneration}): DaViT ({@code vision_tower}) turns the image into a token
 * map; learned 2-D positions ({@code image_pos_embed}) and frame 0's cosine row ({@code visual_temporal_embed}) are
 * added; the map's mean token followed by all its tokens is multiplied by {@code image_projection} and normalised
 * ({@code image_proj_norm}); these image tokens, then the prompt's token embeddings, are the encoder's input, and
 * the decoder writes the answer ({@code language_model}). State-dict names are the published ones, so a Florence-2
 * checkpoint loads by name.
 */
public class Florence2 extends Module {
    /** transformers' label value for positions that do not count in the loss. */
    public static final long IGNORE_INDEX = -100;

    private final Florence2Config config;

    public Florence2(NDManager manager, Florence2Config config) {
        this.config = config;
        int visionDim = config.vision().outDim();
        registerParameter("image_projection", manager.randomNormal(0f, 0.02f,
                new Shape(visionDim, config.projectionDim()), DataType.FLOAT32));
        registerModule("vision_tower", new DaVit(manager, config.vision()));
        registerModule("image_proj_norm", new LayerNorm(manager, config.projectionDim()));
        registerModule("image_pos_embed", new ImagePositionEmbedding(manager, visionDim, config.imagePositions()));
        registerModule("visual_temporal_embed", new CosineTemporalEmbedding(manager, visionDim,
                config.temporalPositions()));
        registerModule("language_model", new Florence2LanguageModel(manager, config.text()));
    }

    public Florence2Config config() {
        return config;
    }

    public DaVit visionTower() {
        return (DaVit) child("vision_tower");
    }

    public Florence2LanguageModel languageModel() {
        return (Florence2LanguageModel) child("language_model");
    }

    /** Image tokens {@code [B, 1 + h w, D]} of images {@code [B, 3, H, W]} (published {@code _encode_image}). */
    public NDArray encodeImage(NDArray pixels) {
        return poolAndProject(visionTower().forward(pixels));
    }

    /** The image tokens of the last DaViT stage's map {@code [B, h, w, C]}. */
    public NDArray poolAndProject(NDArray map) {
        Shape s = map.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        if (h != w) {
            // The published code reshapes the tokens to a square, so a non-square map would be scrambled.
            throw new IllegalArgumentException("Florence-2 needs a square image token map, got " + h + "x" + w
                    + "; give square images");
        }
        NDArray pos = ((ImagePositionEmbedding) child("image_pos_embed")).forward(h, w, map);
        NDArray frame = ((CosineTemporalEmbedding) child("visual_temporal_embed")).forward(0);
        NDArray x = map.add(pos).reshape(b, h * w, c).add(near(frame, map));
        NDArray pooled = x.mean(new int[] {1}, true);
        NDArray tokens = pooled.concat(x, 1);
        NDArray projected = tokens.matMul(parameter("image_projection").data());
        return call("image_proj_norm", projected);
    }

    /** Prompt token embeddings {@code [B, L, D]} of ids {@code [B, L]}. */
    public NDArray embedTokens(NDArray ids) {
        return languageModel().model().shared().forward(ids);
    }

    /** The encoder's input: image tokens then prompt embeddings, {@code [B, 1 + h w + L, D]}. */
    public NDArray encoderInput(NDArray imageFeatures, NDArray textEmbeds) {
        return imageFeatures.concat(textEmbeds, 1);
    }

    /**
     * A teacher-forced pass: image {@code [B, 3, H, W]}, prompt ids {@code [B, L]} and decoder ids {@code [B, T]}
     * (the labels shifted right after the start token, {@link #shiftRight}).
     */
    public Florence2Output forward(NDArray pixels, NDArray inputIds, NDArray decoderInputIds) {
        return forward(pixels, inputIds, null, decoderInputIds);
    }

    /**
     * A teacher-forced pass over a batch of padded prompts: {@code attentionMask [B, L]} is 1 on prompt tokens and
     * 0 on padding (null: all count); image tokens always count, as the published model prepends ones for them.
     */
    public Florence2Output forward(NDArray pixels, NDArray inputIds, NDArray attentionMask, NDArray decoderInputIds) {
        NDArray image = encodeImage(pixels);
        NDArray text = embedTokens(inputIds);
        NDArray mask = null;
        if (attentionMask != null) {
            Shape s = image.getShape();
            NDArray ones = image.getManager().ones(new Shape(s.get(0), s.get(1)), DataType.FLOAT32);
            mask = ones.concat(attentionMask.toType(DataType.FLOAT32, false), 1);
        }
        List<NDArray> encoder = languageModel().model().encoder().forwardAll(encoderInput(image, text), mask);
        NDArray states = encoder.get(encoder.size() - 1);
        NDArray decoded = languageModel().model().decoder().forward(decoderInputIds, states, mask);
        return new Florence2Output(image, text, encoder, decoded, languageModel().logits(decoded));
    }

    /**
     * Mean cross-entropy of {@code logits [B, T, V]} against {@code labels [B, T]}, skipping positions labelled
     * {@link #IGNORE_INDEX}, as the published {@code CrossEntropyLoss()}.
     */
    public static NDArray loss(NDArray logits, NDArray labels) {
        long v = logits.getShape().get(logits.getShape().dimension() - 1);
        NDArray flat = logits.reshape(-1, v);
        NDArray target = labels.toType(DataType.INT64, false).reshape(-1);
        NDArray keep = target.neq(IGNORE_INDEX);
        NDArray safe = target.mul(keep.toType(DataType.INT64, false));
        NDArray logp = flat.logSoftmax(-1);
        NDArray picked = logp.mul(safe.oneHot(Math.toIntExact(v), DataType.FLOAT32).toType(logp.getDataType(),
                false)).sum(new int[] {1});
        NDArray w = keep.toType(logp.getDataType(), false);
        return picked.mul(w).sum().neg().div(w.sum());
    }

    /** Decoder inputs from labels: the start token, then the labels without their last, -100 read as padding. */
    public static NDArray shiftRight(NDArray labels, long startToken, long padToken) {
        long[] l = labels.toType(DataType.INT64, false).toLongArray();
        Shape s = labels.getShape();
        long t = s.get(s.dimension() - 1);
        long[] out = new long[l.length];
        for (int i = 0; i < l.length; i++) {
            long pos = i % t;
            long v = pos == 0 ? startToken : l[i - 1];
            out[i] = v == IGNORE_INDEX ? padToken : v;
        }
        return labels.getManager().create(out, s);
    }
}
