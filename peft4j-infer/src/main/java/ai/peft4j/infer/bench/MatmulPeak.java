package ai.peft4j.infer.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.peft4j.infer.onnx.ElementType;
import ai.peft4j.infer.onnx.OnnxEnvironment;
import ai.peft4j.infer.onnx.OnnxGraph;
import ai.peft4j.infer.onnx.OnnxWriter;
import ai.peft4j.infer.onnx.ValueInfo;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's practical float32 peak: the best rate of square matmuls on ONNX Runtime's MLAS kernels, one
 * one-thread product per core side by side. A single multi-thread product undershoots it (its threads wait for
 * each other at the end of every product: on a 2-core AMD EPYC 117 against 143 GFLOP/s, and the engine's matmul
 * 103), and a peak that low let float32 models appear to run above it. A model's FLOP rate divided by this says
 * how much of the hardware it uses, a figure that holds across machines.
 */
public final class MatmulPeak {
    static final String INPUT = "a";
    static final String OUTPUT = "y";

    private MatmulPeak() {}

    /** A one-node graph {@code y = a x b} with {@code a} an input and {@code b} the given {@code n x n} weights. */
    static OnnxGraph graph(int n, float[] b) {
        OnnxGraph g = new OnnxGraph("matmul-peak");
        g.addInput(new ValueInfo(INPUT, ElementType.FLOAT, new long[] {n, n}));
        String y = g.node("MatMul", "product", Map.of(), INPUT, g.floats("b", b, n, n));
        g.addOutput(new ValueInfo(y, ElementType.FLOAT, new long[] {n, n}));
        return g;
    }

    /**
     * GFLOP/s of the best of {@code rounds} rounds (after one warm-up round), each one {@code n x n} product on
     * each of {@code cores} threads at once, timed from the common start to the last one's end.
     */
    public static double measure(int n, int rounds, int cores) {
        Random random = new Random(0);
        float[] a = new float[n * n];
        float[] b = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() * 2 - 1;
            b[i] = random.nextFloat() * 2 - 1;
        }
        OrtEnvironment env = OnnxEnvironment.get();
        ExecutorService pool = Executors.newFixedThreadPool(cores);
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(OnnxWriter.toBytes(graph(n, b)), options);
                    OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[] {n, n})) {
                double best = Double.MAX_VALUE;
                for (int r = 0; r <= rounds; r++) {
                    double seconds = round(session, input, pool, cores);
                    best = r == 0 ? best : Math.min(best, seconds);
                }
                return 2.0 * n * n * n * cores / best / 1e9;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on the matmul peak graph: " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static double round(OrtSession session, OnnxTensor input, ExecutorService pool, int cores) {
        CyclicBarrier start = new CyclicBarrier(cores + 1);
        List<Future<?>> products = new ArrayList<>(cores);
        for (int c = 0; c < cores; c++) {
            products.add(pool.submit(() -> {
                start.await();
                try (OrtSession.Result ignored = session.run(Map.of(INPUT, input))) {
                    return null;
                }
            }));
        }
        try {
            start.await();
            long t = System.nanoTime();
            for (Future<?> f : products) {
                f.get();
            }
            return (System.nanoTime() - t) / 1e9;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the matmul peak", e);
        } catch (Exception e) {
            throw new IllegalStateException("matmul peak: " + e.getMessage(), e);
        }
    }
}
