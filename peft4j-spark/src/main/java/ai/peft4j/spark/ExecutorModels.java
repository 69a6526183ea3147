package ai.peft4j.spark;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM, one per {@link ModelSource}, created on first use and kept for every later partition
 * and task: an executor loads its weights once, however many rows and jobs it serves.
 */
public final class ExecutorModels {
    private static final Map<ModelSource, InspectionModel> MODELS = new HashMap<>();
    private static final AtomicInteger CONSTRUCTIONS = new AtomicInteger();
    private static volatile double lastLoadSeconds = Double.NaN;

    private ExecutorModels() {}

    /** This JVM's model for {@code source}, loaded now if it is the first call. */
    public static synchronized InspectionModel get(ModelSource source) {
        InspectionModel m = MODELS.get(source);
        if (m == null) {
            long start = System.nanoTime();
            m = new InspectionModel(source);
            lastLoadSeconds = (System.nanoTime() - start) / 1e9;
            CONSTRUCTIONS.incrementAndGet();
            MODELS.put(source, m);
        }
        return m;
    }

    /** Models constructed in this JVM so far (for tests, and the per-executor start-up cost in benchmarks). */
    public static int constructions() {
        return CONSTRUCTIONS.get();
    }

    /** Seconds the last model construction in this JVM took (an executor's start-up cost), NaN before any. */
    public static double lastLoadSeconds() {
        return lastLoadSeconds;
    }

    /** Closes and forgets this JVM's models (their native memory is freed; the next use loads again). */
    public static synchronized void closeAll() {
        MODELS.values().forEach(InspectionModel::close);
        MODELS.clear();
    }
}
