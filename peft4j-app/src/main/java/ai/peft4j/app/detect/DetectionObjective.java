package ai.peft4j.app.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.data.Batch;
import ai.peft4j.models.florence2.Florence2;
import ai.peft4j.models.florence2.Florence2Tokenizer;
import ai.peft4j.train.loop.Objective;
import java.util.List;

/**
 * Teacher-forced cross-entropy of Florence-2 on the answer tokens, as the published fine-tuning computes it
 * ({@code model(input_ids, pixel_values, labels).loss}): the decoder reads the answer shifted right after the start
 * token {@code </s>} and is scored on every answer token, {@code <s>} and {@code </s>} included, padding left out.
 * Images arrive in [0, 1] and are normalised with the processor's ImageNet mean and deviation.
 *
 * <p>A batch's labels carry both texts, as one {@code [N, 1 + P + T]} array: column 0 holds the prompt length
 * {@code P}, then the prompt ids (padded with {@code <pad>}, which the attention mask leaves out) and the answer ids
 * (padded with -100). Validation counts, per answer position, whether the arg-max token is the right one (class 1
 * of the confusion matrix when right, 0 when wrong), so the history's pixel accuracy is the teacher-forced token
 * accuracy.
 */
public final class DetectionObjective implements Objective {
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final DetectionModel model;
    private final List<DetectionData> data;

    /** The objective over samples of any of {@code data} (training and validation). */
    public DetectionObjective(DetectionModel model, List<DetectionData> data) {
        this.model = model;
        this.data = List.copyOf(data);
    }

    /** Images {@code [N, 3, H, W]} in [0, 1] normalised as the Florence-2 processor does. */
    public static NDArray normalise(NDArray images) {
        NDManager m = images.getManager();
        NDArray mean = m.create(MEAN, new Shape(1, 3, 1, 1));
        NDArray std = m.create(STD, new Shape(1, 3, 1, 1));
        return images.sub(mean).div(std);
    }

    @Override
    public NDArray labels(NDManager manager, Batch batch) {
        int n = batch.size();
        int p = 0;
        int t = 0;
        for (String id : batch.ids()) {
            p = Math.max(p, find(id).prompt(id).length);
            t = Math.max(t, find(id).answer(id).length);
        }
        int width = 1 + p + t;
        long[] out = new long[n * width];
        for (int i = 0; i < n; i++) {
            String id = batch.ids().get(i);
            long[] prompt = find(id).prompt(id);
            long[] answer = find(id).answer(id);
            int row = i * width;
            out[row] = p;
            for (int k = 0; k < p; k++) {
                out[row + 1 + k] = k < prompt.length ? prompt[k] : Florence2Tokenizer.PAD;
            }
            for (int k = 0; k < t; k++) {
                out[row + 1 + p + k] = k < answer.length ? answer[k] : Florence2.IGNORE_INDEX;
            }
        }
        return manager.create(out, new Shape(n, width));
    }

    private DetectionData find(String id) {
        for (DetectionData d : data) {
            if (d.answer(id) != null) {
                return d;
            }
        }
        throw new IllegalStateException("no tokenised sample " + id);
    }

    private NDArray teacherForcedLogits(NDArray images, NDArray labels) {
        int p = (int) labels.get(0, 0).toLongArray()[0];
        long width = labels.getShape().get(1);
        NDArray prompt = labels.get(new NDIndex(":, 1:{}", 1 + p));
        NDArray answer = labels.get(new NDIndex(":, {}:", 1 + p));
        NDArray mask = prompt.neq(Florence2Tokenizer.PAD).toType(DataType.INT64, false);
        NDArray decoder = Florence2.shiftRight(answer, Florence2Tokenizer.EOS, Florence2Tokenizer.PAD);
        if (width <= 1 + p) {
            throw new IllegalStateException("a batch without answer tokens");
        }
        return model.forward(normalise(images), prompt, mask, decoder).logits();
    }

    private static NDArray answer(NDArray labels) {
        int p = (int) labels.get(0, 0).toLongArray()[0];
        return labels.get(new NDIndex(":, {}:", 1 + p));
    }

    @Override
    public NDArray loss(NDArray images, NDArray labels) {
        return Florence2.loss(teacherForcedLogits(images, labels), answer(labels));
    }

    @Override
    public NDArray logits(NDArray images) {
        throw new UnsupportedOperationException("Florence-2's logits need the answer (teacher forcing); use "
                + "validate");
    }

    @Override
    public Validation validate(NDArray images, NDArray labels) {
        NDArray logits = teacherForcedLogits(images, labels);
        NDArray answer = answer(labels);
        NDArray loss = Florence2.loss(logits, answer);
        NDArray right = logits.argMax(-1).toType(DataType.INT64, false).eq(answer.toType(DataType.INT64, false));
        return new Validation(logits, loss, right.toType(DataType.INT32, false).toIntArray());
    }
}
