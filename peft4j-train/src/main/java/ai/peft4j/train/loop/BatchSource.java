package ai.peft4j.train.loop;

import ai.peft4j.data.Batch;
import java.util.List;

/**
 * The batches of each epoch. A loader derives its shuffle from the epoch number (and its own seed), so that a
 * resumed run sees the same batches in the same order as an uninterrupted one. An iterator that is also
 * {@link AutoCloseable} (a parallel loader) is closed when the epoch ends or fails.
 */
@FunctionalInterface
public interface BatchSource {
    /** The batches of epoch {@code epoch} (from 0). */
    Iterable<Batch> epoch(int epoch);

    /** Batches per epoch, for the progress bar's ETA; -1 when unknown. */
    default int batchesPerEpoch() {
        return -1;
    }

    /** The batches of a parallel loader: its epochs, shuffled from its seed and the epoch number. */
    static BatchSource of(ai.peft4j.data.loader.BatchLoader loader) {
        return new BatchSource() {
            @Override
            public Iterable<Batch> epoch(int epoch) {
                return loader.epoch(epoch);
            }

            @Override
            public int batchesPerEpoch() {
                return loader.batchesPerEpoch();
            }
        };
    }

    /** The same batches every epoch, in the given order (validation data, tests). */
    static BatchSource of(List<Batch> batches) {
        List<Batch> copy = List.copyOf(batches);
        return new BatchSource() {
            @Override
            public Iterable<Batch> epoch(int epoch) {
                return copy;
            }

            @Override
            public int batchesPerEpoch() {
                return copy.size();
            }
        };
    }
}
