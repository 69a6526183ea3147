package ai.peft4j.core.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * Configures and loads the engine. Every entry point (CLI, tests, benchmarks) calls {@link #engine()} before any
 * tensor is made, so that the engine never tries to download a native library or report usage.
 */
public final class EngineSetup {
    /** The only engine peft4j runs on: the models rely on PyTorch semantics (batch norm, GELU, layouts). */
    public static final String ENGINE = "PyTorch";

    private static volatile Engine engine;

    private EngineSetup() {}

    /**
     * Sets offline mode and opts out of tracking, unless the user set them otherwise. Must run before DJL's engine
     * class is first touched; harmless afterwards.
     */
    public static void configureOffline() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
    }

    /** Returns the loaded PyTorch engine, loading it on first use. */
    public static Engine engine() {
        Engine e = engine;
        if (e == null) {
            synchronized (EngineSetup.class) {
                e = engine;
                if (e == null) {
                    configureOffline();
                    e = load();
                    engine = e;
                }
            }
        }
        return e;
    }

    /** A new root manager on the PyTorch engine's CPU device. */
    public static NDManager newManager() {
        return engine().newBaseManager();
    }

    /** Seeds the engine's random generator (dropout, drop path, random initialisation). */
    public static void seed(long seed) {
        engine().setRandomSeed((int) seed);
    }

    /** The engine's threads per operation (PyTorch's intra-op threads). */
    public static int threads() {
        engine();
        return ai.djl.pytorch.jni.JniUtils.getNumThreads();
    }

    /**
     * Sets the engine's threads per operation for this process from now on: one when several processes share the
     * cores, each with its own job, which on a small machine beats one job split over every core.
     */
    public static void threads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("engine threads must be at least 1, got " + n);
        }
        engine();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
    }

    private static Engine load() {
        try {
            Engine e = Engine.getEngine(ENGINE);
            // Touch the native library now, so that a broken install fails here and not mid-training.
            try (NDManager m = e.newBaseManager()) {
                m.ones(new ai.djl.ndarray.types.Shape(1)).sum().getFloat();
            }
            return e;
        } catch (RuntimeException | UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError ex) {
            throw new EngineUnavailableException(explain(ex), ex);
        }
    }

    private static String explain(Throwable ex) {
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String cache = System.getenv().getOrDefault("DJL_CACHE_DIR", System.getProperty("user.home") + "/.djl.ai");
        return "Could not load the PyTorch 2.7.1 CPU engine (" + root.getClass().getSimpleName() + ": "
                + root.getMessage() + ").\n"
                + "peft4j runs offline: the native library comes from the pytorch-native-cpu jar (classifier "
                + "linux-x86_64) on the class path and is unpacked into " + cache + ".\n"
                + "Check that: this is 64-bit Linux on x86_64 with glibc 2.29 or newer; " + cache
                + " is writable (or set DJL_CACHE_DIR to a directory that is); the jar is on the class path "
                + "(run ./peft4j, which builds it, or 'mvn -q package -DskipTests'). "
                + "To use a libtorch 2.7.1 of your own, set PYTORCH_LIBRARY_PATH to its lib directory.";
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
