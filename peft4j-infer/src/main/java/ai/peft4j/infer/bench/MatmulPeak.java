package ai.peft4j.infer.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;

/**
 * The machine's practical float32 peak: the best rate of a large square matmul on the engine (MKL on CPU). A
 * model's FLOP rate divided by this says how much of the hardware it uses, a figure that holds across machines.
 */
public final class MatmulPeak {
    private MatmulPeak() {}

    /** GFLOP/s of the best of {@code repeats} {@code n x n} products after one warm-up. */
    public static double measure(int n, int repeats) {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0); // waits for the result
                best = Math.min(best, (System.nanoTime() - t) / 1e9);
                c.close();
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }
}
