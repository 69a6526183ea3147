package ai.peft4j.data.loader;

/**
 * How a {@link BatchLoader} reads a data set.
 *
 * @param batchSize samples per batch
 * @param shuffle whether each epoch visits the samples in a new seeded order
 * @param seed the seed of the order and of every sample's augmentation
 * @param workers loading threads
 * @param prefetch batches loaded ahead of the consumer (the queue bound); at least {@code workers}
 * @param dropLast whether a last, smaller batch is dropped (as the published loader does for training)
 */
public record LoaderConfig(int batchSize, boolean shuffle, long seed, int workers, int prefetch, boolean dropLast) {
    public LoaderConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        }
        prefetch = Math.max(prefetch, workers);
    }

    /** Training: shuffled, seed 0, two workers, four batches ahead, last partial batch dropped. */
    public static LoaderConfig training(int batchSize) {
        return new LoaderConfig(batchSize, true, 0, 2, 4, true);
    }

    /** Evaluation: data set order, every sample, two workers. */
    public static LoaderConfig evaluation(int batchSize) {
        return new LoaderConfig(batchSize, false, 0, 2, 4, false);
    }

    public LoaderConfig withSeed(long newSeed) {
        return new LoaderConfig(batchSize, shuffle, newSeed, workers, prefetch, dropLast);
    }

    public LoaderConfig withWorkers(int n) {
        return new LoaderConfig(batchSize, shuffle, seed, n, Math.max(prefetch, n), dropLast);
    }
}
