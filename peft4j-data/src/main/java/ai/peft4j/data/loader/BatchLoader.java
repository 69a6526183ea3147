package ai.peft4j.data.loader;

import ai.peft4j.data.Batch;
import ai.peft4j.data.DataException;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.Sample;
import ai.peft4j.data.SegmentationDataset;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.transform.PairTransform;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Loads batches on worker threads ahead of the consumer. Each batch is one task; at most {@code prefetch} are
 * loaded or waiting, and they are handed over in order, so a run is the same whatever the thread timing. A
 * sample's augmentation draws from a generator seeded by (seed, epoch, sample index) alone.
 *
 * <pre>{@code
 * try (BatchLoader loader = new BatchLoader(train, TrainAugmentation.published(224), LoaderConfig.training(8))) {
 *     for (int epoch = 0; epoch < epochs; epoch++) {
 *         try (BatchLoader.Epoch batches = loader.epoch(epoch)) {
 *             for (Batch batch : batches) { ... }
 *         }
 *     }
 * }
 * }</pre>
 *
 * A worker's failure reaches the consumer at the batch it belongs to: a {@link DataException} naming the file.
 */
public final class BatchLoader implements AutoCloseable {
    /** Produces the sample at a data set index for an epoch (e.g. a crop sampler). */
    @FunctionalInterface
    public interface SampleSource {
        Sample load(int index, int epoch);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    /** What to change when loading runs out of memory; each loading worker holds a whole batch. */
    private static final String LOWER = "lower the batch size (training.batch), the loading workers "
            + "(training.workers) or the image size (model.image_size), or give Java more memory (e.g. "
            + "JAVA_TOOL_OPTIONS=-Xmx8g)";

    private final String datasetName;
    private final int size;
    private final SampleSource source;
    private final LoaderConfig config;
    private final ExecutorService workers;

    /** Loads {@code dataset}'s pairs through {@code transform} (e.g. a letterbox or the training augmentation). */
    public BatchLoader(ImageDataset dataset, PairTransform transform, LoaderConfig config) {
        this(dataset.name(), dataset.size(), (index, epoch) -> {
            try {
                LabelledImage pair = dataset.read(index);
                return transform.apply(pair, sampleRandom(config.seed(), epoch, index)).toSample();
            } catch (OutOfMemoryError e) {
                List<Path> files = dataset.files(index);
                Path file = files.isEmpty() ? null : files.get(0);
                String size = "";
                if (file != null) {
                    try {
                        int[] wh = ImageDecoder.probe(file);
                        size = " (" + wh[0] + "x" + wh[1] + ")";
                    } catch (RuntimeException | OutOfMemoryError ignored) {
                        // the message stands without the size
                    }
                }
                throw new DataException(file, "out of memory loading this image" + size + " for " + dataset.name()
                        + " in batches of " + config.batchSize() + " on " + config.workers() + " workers; "
                        + LOWER);
            }
        }, config);
    }

    /** Loads samples as {@code dataset} gives them; they must all have one size to be stacked. */
    public BatchLoader(SegmentationDataset dataset, LoaderConfig config) {
        this(dataset.name(), dataset.size(), (index, epoch) -> dataset.get(index), config);
    }

    /** Loads {@code size} samples per epoch from {@code source}; they must all have one size to be stacked. */
    public BatchLoader(String datasetName, int size, SampleSource source, LoaderConfig config) {
        this.datasetName = datasetName;
        this.size = size;
        this.source = source;
        this.config = config;
        int pool = POOLS.incrementAndGet();
        AtomicInteger thread = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "peft4j-loader-" + pool + "-" + thread.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newFixedThreadPool(config.workers(), factory);
    }

    /** The generator of one sample's augmentation in one epoch. */
    public static SplittableRandom sampleRandom(long seed, int epoch, int index) {
        return new SplittableRandom(mix(mix(mix(seed) + epoch) + index));
    }

    /** The SplitMix64 finaliser: nearby inputs give unrelated outputs. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public LoaderConfig config() {
        return config;
    }

    /** Batches per epoch. */
    public int batchesPerEpoch() {
        int full = size / config.batchSize();
        return config.dropLast() || size % config.batchSize() == 0 ? full : full + 1;
    }

    /** The data set indices of an epoch in visiting order: a seeded shuffle, or data set order. */
    public int[] order(int epoch) {
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        if (config.shuffle()) {
            SplittableRandom random = new SplittableRandom(mix(mix(config.seed()) - epoch - 1));
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Starts loading an epoch's batches; close it to stop early. */
    public Epoch epoch(int epoch) {
        if (workers.isShutdown()) {
            throw new IllegalStateException("the loader of " + datasetName + " is closed");
        }
        return new Epoch(epoch);
    }

    /** Stops the workers; loading in progress is interrupted. */
    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One pass over the data set: an iterator of batches in order, loading ahead. */
    public final class Epoch implements Iterable<Batch>, Iterator<Batch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final int batches;
        private final ArrayDeque<Future<Batch>> queue = new ArrayDeque<>();
        private int submitted;
        private int taken;
        private boolean closed;

        Epoch(int epoch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.batches = batchesPerEpoch();
            while (submitted < batches && queue.size() < config.prefetch()) {
                submitNext();
            }
        }

        @Override
        public Iterator<Batch> iterator() {
            return this;
        }

        @Override
        public boolean hasNext() {
            return !closed && taken < batches;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch " + epoch + " of " + datasetName + " has no more batches");
            }
            Future<Batch> head = queue.poll();
            taken++;
            if (submitted < batches) {
                submitNext();
            }
            try {
                return head.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("interrupted while waiting for a batch of " + datasetName, e);
            } catch (ExecutionException | CancellationException e) {
                close();
                Throwable cause = e.getCause() == null ? e : e.getCause();
                if (cause instanceof DataException d) {
                    // Re-thrown from the consumer's thread so that its stack shows where the batch was wanted.
                    throw new DataException(d.file(), d.problem(), d);
                }
                throw new IllegalStateException("loading batch " + (taken - 1) + " of " + datasetName
                        + " (epoch " + epoch + ") failed: " + cause, cause);
            }
        }

        /** Cancels the batches still loading or queued. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (Future<Batch> f : queue) {
                f.cancel(true);
            }
            queue.clear();
        }

        private void submitNext() {
            int b = submitted++;
            int from = b * config.batchSize();
            int to = Math.min(size, from + config.batchSize());
            queue.add(workers.submit(() -> load(from, to)));
        }

        private Batch load(int from, int to) {
            try {
                return stack(from, to);
            } catch (OutOfMemoryError e) {
                throw new DataException(null, "out of memory loading a batch of " + (to - from) + " images of "
                        + datasetName + " on " + config.workers() + " workers; " + LOWER);
            }
        }

        private Batch stack(int from, int to) {
            List<String> ids = new ArrayList<>(to - from);
            Sample first = null;
            float[] images = null;
            int[] masks = null;
            for (int i = from; i < to; i++) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new CancellationException("loader closed");
                }
                Sample s = source.load(order[i], epoch);
                if (first == null) {
                    first = s;
                    images = new float[(to - from) * s.image().length];
                    masks = new int[(to - from) * s.mask().length];
                } else if (s.height() != first.height() || s.width() != first.width()) {
                    throw new DataException(null, "cannot stack " + s.id() + " (" + s.width() + "x" + s.height()
                            + ") with " + first.id() + " (" + first.width() + "x" + first.height() + ") in one batch of "
                            + datasetName + "; give the loader a transform that makes one size, e.g. a letterbox");
                }
                int k = i - from;
                System.arraycopy(s.image(), 0, images, k * s.image().length, s.image().length);
                System.arraycopy(s.mask(), 0, masks, k * s.mask().length, s.mask().length);
                ids.add(s.id());
            }
            return new Batch(ids, images, masks, first.height(), first.width());
        }
    }
}
