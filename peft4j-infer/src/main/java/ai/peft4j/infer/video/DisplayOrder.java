package ai.peft4j.infer.video;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * Puts decoded pictures back into display order. A stream with B-frames decodes a later picture before the
 * earlier ones that refer to it (I0 P3 B1 B2); holding a few pictures and releasing the one with the smallest
 * presentation time restores 0 1 2 3. Baseline streams, whose decoding order is already display order, pass
 * through with the same delay.
 *
 * @param <T> the picture
 */
final class DisplayOrder<T> {
    private record Entry<T>(double pts, long arrival, T item) {}

    private final int depth;
    private final PriorityQueue<Entry<T>> held = new PriorityQueue<>(
            Comparator.<Entry<T>>comparingDouble(Entry::pts).thenComparingLong(Entry::arrival));
    private long arrivals;

    /** @param depth pictures held before the earliest is released: the stream's largest reordering */
    DisplayOrder(int depth) {
        this.depth = depth;
    }

    void add(double pts, T item) {
        held.add(new Entry<>(pts, arrivals++, item));
    }

    /** Whether enough pictures are held to release one without waiting for more. */
    boolean ready() {
        return held.size() > depth;
    }

    boolean isEmpty() {
        return held.isEmpty();
    }

    /** The held picture shown first, or null when none is held. */
    T release() {
        Entry<T> e = held.poll();
        return e == null ? null : e.item();
    }

    /** The presentation time of the picture {@link #release} gives next. */
    double nextPts() {
        return held.peek().pts();
    }
}
