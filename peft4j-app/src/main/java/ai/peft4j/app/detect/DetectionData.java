package ai.peft4j.app.detect;

import ai.peft4j.data.Batch;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Resampling;
import ai.peft4j.models.florence2.Florence2Tokenizer;
import ai.peft4j.models.florence2.TaskPrompts;
import ai.peft4j.train.loop.BatchSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Box samples tokenised for Florence-2: per sample the prompt's ids (the task token's sentence, {@code <s>} and
 * {@code </s>} around it) and the answer's ids (labels as the published fine-tuning builds them:
 * {@code tokenizer(suffix).input_ids}), and batches of images resized to the model's input side (bicubic, aspect
 * not kept, as the processor resizes) in [0, 1]. A batch's masks mark each answer position of the longest answer
 * in the batch: 1 where a sample has a token there, {@link #PAD_MASK} (ignored) after its end (so a batch's masks
 * are {@code [n, T]}, not image-sized; its height and width are the images'). Batches are built as they are read.
 */
public final class DetectionData {
    /** The mask value of positions past a sample's answer, outside the two validation classes. */
    public static final int PAD_MASK = 2;

    private final String name;
    private final List<BoxJsonl.Sample> samples;
    private final Map<String, long[]> prompts = new LinkedHashMap<>();
    private final Map<String, long[]> answers = new LinkedHashMap<>();
    private final Map<String, BoxJsonl.Sample> byId = new LinkedHashMap<>();
    private final int side;

    public DetectionData(Path file, List<BoxJsonl.Sample> samples, Florence2Tokenizer tokenizer, int side,
            int maxPositions) {
        this.name = file.toString();
        this.samples = List.copyOf(samples);
        this.side = side;
        for (BoxJsonl.Sample s : samples) {
            String id = id(s);
            long[] prompt = tokenizer.encode(TaskPrompts.construct(s.prefix()));
            long[] answer = tokenizer.encode(s.suffix());
            if (answer.length > maxPositions) {
                throw new IllegalArgumentException(file + ":" + s.line() + ": the answer is " + answer.length
                        + " tokens, more than the model's " + maxPositions + " text positions");
            }
            if (prompt.length > maxPositions) {
                throw new IllegalArgumentException(file + ":" + s.line() + ": the prompt is " + prompt.length
                        + " tokens, more than the model's " + maxPositions + " text positions");
            }
            prompts.put(id, prompt);
            answers.put(id, answer);
            byId.put(id, s);
        }
    }

    /** A sample's id: its file and line, so samples of two files never share one. */
    String id(BoxJsonl.Sample s) {
        return name + ":" + s.line();
    }

    public String name() {
        return name;
    }

    public List<BoxJsonl.Sample> samples() {
        return samples;
    }

    public int size() {
        return samples.size();
    }

    public long[] prompt(String id) {
        return prompts.get(id);
    }

    public long[] answer(String id) {
        return answers.get(id);
    }

    public BoxJsonl.Sample sample(String id) {
        return byId.get(id);
    }

    /** An image resized to the input side, channels first in [0, 1]. */
    public float[] pixels(Path image) {
        return new Pixels(side).of(image);
    }

    /** Images resized to a square side (bicubic, aspect not kept), channels first in [0, 1]. */
    public record Pixels(int side) {
        public float[] of(Path image) {
            RgbImage img = ImageDecoder.readRgb(image);
            if (img.width() != side || img.height() != side) {
                img = Resampling.bicubic(img, side, side);
            }
            return img.toChannelsFirst();
        }
    }

    /** The batch of the given samples. */
    public Batch batch(List<BoxJsonl.Sample> items) {
        int t = 0;
        for (BoxJsonl.Sample s : items) {
            t = Math.max(t, answers.get(id(s)).length);
        }
        float[] images = new float[items.size() * 3 * side * side];
        int[] masks = new int[items.size() * t];
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            BoxJsonl.Sample s = items.get(i);
            ids.add(id(s));
            float[] px = pixels(s.image());
            System.arraycopy(px, 0, images, i * px.length, px.length);
            int len = answers.get(id(s)).length;
            for (int k = 0; k < t; k++) {
                masks[i * t + k] = k < len ? 1 : PAD_MASK;
            }
        }
        return new Batch(ids, images, masks, side, side);
    }

    /**
     * Training batches: the samples shuffled from {@code seed} and the epoch number (so a resumed run sees the same
     * order), cut into batches of {@code batch}, the last partial one dropped.
     */
    public BatchSource training(int batch, long seed) {
        if (samples.size() < batch) {
            throw new IllegalArgumentException(name + ": " + samples.size() + " samples, fewer than one batch of "
                    + batch + "; lower training.batch");
        }
        return new BatchSource() {
            @Override
            public Iterable<Batch> epoch(int epoch) {
                List<BoxJsonl.Sample> order = new ArrayList<>(samples);
                Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
                return lazily(order, batch, false);
            }

            @Override
            public int batchesPerEpoch() {
                return samples.size() / batch;
            }
        };
    }

    /** Validation batches in file order, the last one partial. */
    public BatchSource evaluation(int batch) {
        return new BatchSource() {
            @Override
            public Iterable<Batch> epoch(int epoch) {
                return lazily(samples, batch, true);
            }

            @Override
            public int batchesPerEpoch() {
                return (samples.size() + batch - 1) / batch;
            }
        };
    }

    private Iterable<Batch> lazily(List<BoxJsonl.Sample> order, int batch, boolean keepPartial) {
        int count = keepPartial ? (order.size() + batch - 1) / batch : order.size() / batch;
        return Batch.lazily(order, batch, count, this::batch);
    }
}
