package ai.peft4j.core.flops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Counts multiply-accumulate operations while a forward pass runs on the current thread. Layers report their
 * MACs with {@link #add}; outside {@link #count} that is a no-op costing one thread-local read.
 *
 * <p>Published "GFLOPs" of these models come from thop, which counts convolutions, linear layers and
 * normalisation but not the matrix products inside attention. Both are kept here, so a summary can print the
 * published convention and the full count.
 */
public final class MacCounter {
    /** What a MAC belongs to. */
    public enum Kind {
        CONV, LINEAR, NORM, ATTENTION_MATMUL
    }

    private static final ThreadLocal<MacCounter> ACTIVE = new ThreadLocal<>();

    private final Map<Kind, Long> macs = new LinkedHashMap<>();

    private MacCounter() {
        for (Kind k : Kind.values()) {
            macs.put(k, 0L);
        }
    }

    /** Runs {@code forward} and returns the MACs it reported, by kind. */
    public static Map<Kind, Long> count(Supplier<?> forward) {
        MacCounter previous = ACTIVE.get();
        MacCounter c = new MacCounter();
        ACTIVE.set(c);
        try {
            forward.get();
        } finally {
            if (previous == null) {
                ACTIVE.remove();
            } else {
                ACTIVE.set(previous);
            }
        }
        return Map.copyOf(c.macs);
    }

    /** Reports MACs of one operation, when a count is running on this thread. */
    public static void add(Kind kind, long n) {
        MacCounter c = ACTIVE.get();
        if (c != null) {
            c.macs.merge(kind, n, Long::sum);
        }
    }

    /** True while a count runs on this thread, so layers can skip computing what they would report. */
    public static boolean active() {
        return ACTIVE.get() != null;
    }
}
