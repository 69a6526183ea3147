package ai.peft4j.data.classify;

import ai.peft4j.data.Batch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Batches of transformed images with one class id each ({@link Batch#masks()} holds {@code n} labels rather than
 * {@code n * height * width} pixels). Training batches are shuffled from the seed and the epoch number, so a
 * resumed run sees what an uninterrupted one would, and drop the last partial batch; test batches keep the order
 * and every image. Images are decoded as the batches are taken.
 */
public final class ClassBatches {
    private final LabelledImages images;
    private final ClassificationTransform transform;
    private final int batch;
    private final boolean training;
    private final boolean augment;
    private final long seed;

    private ClassBatches(LabelledImages images, ClassificationTransform transform, int batch, boolean training,
            boolean augment, long seed) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batch);
        }
        this.images = images;
        this.transform = transform;
        this.batch = batch;
        this.training = training;
        this.augment = augment;
        this.seed = seed;
    }

    /** Shuffled batches; {@code augment} false gives the test view of each image. */
    public static ClassBatches training(LabelledImages images, ClassificationTransform t, int batch, boolean augment,
            long seed) {
        if (images.size() < batch) {
            throw new IllegalArgumentException(images.name() + ": " + images.size() + " training images, fewer than "
                    + "one batch of " + batch + " (training drops the last partial batch); lower training.batch");
        }
        return new ClassBatches(images, t, batch, true, augment, seed);
    }

    public static ClassBatches evaluation(LabelledImages images, ClassificationTransform t, int batch) {
        return new ClassBatches(images, t, batch, false, false, 0);
    }

    public int batchesPerEpoch() {
        return training ? images.size() / batch : (images.size() + batch - 1) / batch;
    }

    /** The batches of epoch {@code epoch} (from 0). */
    public Iterable<Batch> epoch(int epoch) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            order.add(i);
        }
        Random random = new Random(seed * 1_000_003L + epoch);
        if (training) {
            Collections.shuffle(order, random);
        }
        int count = batchesPerEpoch();
        return Batch.lazily(order, batch, count, ids -> make(ids, random));
    }

    private Batch make(List<Integer> picks, Random random) {
        int side = transform.size();
        int plane = 3 * side * side;
        float[] pixels = new float[picks.size() * plane];
        int[] labels = new int[picks.size()];
        List<String> ids = new ArrayList<>();
        for (int k = 0; k < picks.size(); k++) {
            LabelledImages.Item item = images.items().get(picks.get(k));
            float[] view = augment ? transform.train(images.read(picks.get(k)), random)
                    : transform.test(images.read(picks.get(k)));
            System.arraycopy(view, 0, pixels, k * plane, plane);
            labels[k] = item.label();
            ids.add(item.id());
        }
        return new Batch(ids, pixels, labels, side, side);
    }
}
