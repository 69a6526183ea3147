package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.data.Batch;
import ai.peft4j.models.sam.PromptableSegmenter;
import ai.peft4j.models.sam.Prompts;
import ai.peft4j.train.promptable.MaskPrompt;
import ai.peft4j.train.promptable.MaskPrompts;
import ai.peft4j.train.promptable.PromptMode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The trainer's objective for a promptable segmenter. Labels are binary defect masks (the run's loader maps every
 * defect class to 1). A training step derives one prompt per image from its mask ({@link MaskPrompts#sample}),
 * decodes one mask per prompt, resizes the low-res logits to the label size by nearest neighbour (the published
 * {@code F.interpolate} default) and applies the loss: {@code BCEWithLogitsLoss(pos_weight=2)} as published, or
 * that plus a soft Dice. Validation prompts every defect region of each image (or none in prompt-free mode) and
 * reports, as two-class logits, the largest logit over an image's masks, so that the trainer's confusion matrix
 * scores defect against background.
 */
public final class PromptableObjective implements ai.peft4j.train.loop.Objective {
    private final PromptableSegmenter model;
    private final PromptMode mode;
    private final double posWeight;
    private final boolean dice;
    private final SplittableRandom random;

    /**
     * @param posWeight the weight of defect pixels in the BCE (published: 2)
     * @param dice whether a soft Dice of the sigmoid is added to the BCE
     * @param seed the seed of the prompt draws
     */
    public PromptableObjective(PromptableSegmenter model, PromptMode mode, double posWeight, boolean dice,
            long seed) {
        this.model = model;
        this.mode = mode;
        this.posWeight = posWeight;
        this.dice = dice;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public NDArray loss(NDArray images, NDArray labels) {
        Shape s = labels.getShape();
        int n = (int) s.get(0);
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        int[] all = labels.toType(DataType.INT32, false).toIntArray();
        List<MaskPrompt> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] mask = java.util.Arrays.copyOfRange(all, i * h * w, (i + 1) * h * w);
            prompts.add(MaskPrompts.sample(mask, w, h, mode, random));
        }
        NDArray emb = model.encodeImage(images);
        NDArray low = model.maskLogits(emb, prompts(images.getManager(), prompts, mode));
        return maskLoss(nearest(low, h, w), targets(images.getManager(), prompts, h, w));
    }

    @Override
    public NDArray logits(NDArray images) {
        NDArray one = model.forward(images);
        return one.zerosLike().concat(one, 1);
    }

    @Override
    public NDArray logits(NDArray images, NDArray labels) {
        if (mode == PromptMode.NONE) {
            return logits(images);
        }
        Shape s = labels.getShape();
        int n = (int) s.get(0);
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        int[] all = labels.toType(DataType.INT32, false).toIntArray();
        NDArray emb = model.encodeImage(images);
        NDManager m = images.getManager();
        List<NDArray> union = new ArrayList<>();
        // Validation draws its clicks from its own seed, so every validation sees the same prompts.
        SplittableRandom r = new SplittableRandom(0);
        for (int i = 0; i < n; i++) {
            int[] mask = java.util.Arrays.copyOfRange(all, i * h * w, (i + 1) * h * w);
            List<MaskPrompt> ps = MaskPrompts.all(mask, w, h, mode, r);
            if (ps.isEmpty()) {
                union.add(m.full(new Shape(1, 1, h, w), -1e4f));
                continue;
            }
            NDArray e = emb.get(i + ":" + (i + 1)).repeat(0, ps.size());
            NDArray masks = model.toInputSize(model.maskLogits(e, prompts(m, ps, mode)));
            union.add(masks.max(new int[] {0}, true));
        }
        NDArray one = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(union), 0);
        return one.zerosLike().concat(one, 1);
    }

    @Override
    public NDArray validationLoss(NDArray logits, NDArray labels) {
        NDArray defect = logits.get(":, 1:2");
        NDArray y = labels.expandDims(1).toType(DataType.FLOAT32, false);
        return bce(defect, y.eq(1f).toType(DataType.FLOAT32, false), y.lt(2f).toType(DataType.FLOAT32, false));
    }

    /** The batch of prompts the model reads: clicks {@code [B, 1, 2]}, boxes {@code [B, 4]}, or none. */
    public static Prompts prompts(NDManager m, List<MaskPrompt> prompts, PromptMode mode) {
        int b = prompts.size();
        if (mode == PromptMode.NONE) {
            return new Prompts(null, null, null, null);
        }
        int k = mode == PromptMode.POINT ? 2 : 4;
        float[] c = new float[b * k];
        float[] l = new float[b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(prompts.get(i).coords(), 0, c, i * k, k);
            l[i] = prompts.get(i).label();
        }
        if (mode == PromptMode.POINT) {
            return Prompts.points(m.create(c, new Shape(b, 1, 2)), m.create(l, new Shape(b, 1)));
        }
        return Prompts.boxes(m.create(c, new Shape(b, 4)));
    }

    private NDArray targets(NDManager m, List<MaskPrompt> prompts, int h, int w) {
        float[] t = new float[prompts.size() * h * w];
        for (int i = 0; i < prompts.size(); i++) {
            int[] target = prompts.get(i).target();
            for (int j = 0; j < target.length; j++) {
                t[i * h * w + j] = target[j];
            }
        }
        return m.create(t, new Shape(prompts.size(), 1, h, w));
    }

    private NDArray maskLoss(NDArray logits, NDArray target) {
        NDArray y = target.eq(1f).toType(DataType.FLOAT32, false);
        NDArray valid = target.lt(2f).toType(DataType.FLOAT32, false);
        NDArray l = bce(logits, y, valid);
        if (dice) {
            NDArray p = ai.djl.nn.Activation.sigmoid(logits).mul(valid);
            NDArray inter = p.mul(y).sum(new int[] {1, 2, 3});
            NDArray denom = p.sum(new int[] {1, 2, 3}).add(y.mul(valid).sum(new int[] {1, 2, 3}));
            NDArray d = Scalars.add(Scalars.mul(inter, 2f), 1f).div(Scalars.add(denom, 1f));
            l = l.add(Scalars.sub(d, 1f).neg().mean());
        }
        return l;
    }

    /**
     * {@code BCEWithLogitsLoss(pos_weight)} averaged over the valid pixels: {@code (1 - y) x + (1 + (pw - 1) y)
     * (log(1 + e^-|x|) + max(-x, 0))}.
     */
    private NDArray bce(NDArray x, NDArray y, NDArray valid) {
        NDArray softplus = x.abs().neg().exp().add(1f).log().add(ai.djl.nn.Activation.relu(x.neg()));
        NDArray weight = Scalars.add(y.mul((float) (posWeight - 1)), 1f);
        NDArray per = Scalars.sub(y, 1f).neg().mul(x).add(weight.mul(softplus)).mul(valid);
        return per.sum().div(valid.sum().maximum(1f));
    }

    /** Nearest-neighbour resize of {@code [B, C, h, w]} to {@code H x W}, as {@code F.interpolate}'s default. */
    static NDArray nearest(NDArray x, int height, int width) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (height % h == 0 && width % w == 0) {
            return x.repeat(2, height / h).repeat(3, width / w);
        }
        throw new IllegalArgumentException("labels " + height + "x" + width + " are not a whole multiple of the "
                + h + "x" + w + " low-res masks");
    }

    /** Binary labels, as the batch holds them. */
    @Override
    public NDArray labels(NDManager manager, Batch batch) {
        return manager.create(batch.masks(), new Shape(batch.size(), batch.height(), batch.width()));
    }
}
