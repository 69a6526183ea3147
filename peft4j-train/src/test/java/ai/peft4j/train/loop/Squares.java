package ai.peft4j.train.loop;

import ai.peft4j.data.Batch;
import ai.peft4j.data.Sample;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A synthetic two-class set: dark noise with one bright square (class 1) per image, the square's size and place
 * drawn from a seeded generator. Batches of a training epoch are shuffled from the epoch number, as a loader does.
 */
final class Squares {
    private Squares() {}

    static List<Sample> samples(int count, int side, long seed) {
        Random r = new Random(seed);
        List<Sample> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            float[] image = new float[3 * side * side];
            int[] mask = new int[side * side];
            int size = side / 4 + r.nextInt(side / 4 + 1);
            int top = r.nextInt(side - size + 1);
            int left = r.nextInt(side - size + 1);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    boolean inside = y >= top && y < top + size && x >= left && x < left + size;
                    mask[y * side + x] = inside ? 1 : 0;
                    for (int c = 0; c < 3; c++) {
                        float noise = 0.25f * r.nextFloat();
                        image[(c * side + y) * side + x] = inside ? 0.6f + noise : noise;
                    }
                }
            }
            out.add(new Sample(String.format("sq%03d", k), image, mask, side, side));
        }
        return out;
    }

    static Batch batch(List<Sample> samples) {
        Sample first = samples.get(0);
        int h = first.height();
        int w = first.width();
        float[] images = new float[samples.size() * 3 * h * w];
        int[] masks = new int[samples.size() * h * w];
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            System.arraycopy(s.image(), 0, images, i * 3 * h * w, 3 * h * w);
            System.arraycopy(s.mask(), 0, masks, i * h * w, h * w);
            ids.add(s.id());
        }
        return new Batch(ids, images, masks, h, w);
    }

    /** Fixed batches in order (validation). */
    static BatchSource fixed(List<Sample> samples, int batchSize) {
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i + batchSize <= samples.size(); i += batchSize) {
            batches.add(batch(samples.subList(i, i + batchSize)));
        }
        return BatchSource.of(batches);
    }

    /** Batches shuffled per epoch from {@code seed} and the epoch; the last partial batch is dropped, as published. */
    static BatchSource shuffled(List<Sample> samples, int batchSize, long seed) {
        return new BatchSource() {
            @Override
            public Iterable<Batch> epoch(int epoch) {
                List<Sample> order = new ArrayList<>(samples);
                Collections.shuffle(order, new Random(seed * 31 + epoch));
                List<Batch> batches = new ArrayList<>();
                for (int i = 0; i + batchSize <= order.size(); i += batchSize) {
                    batches.add(batch(order.subList(i, i + batchSize)));
                }
                return batches;
            }

            @Override
            public int batchesPerEpoch() {
                return samples.size() / batchSize;
            }
        };
    }
}
