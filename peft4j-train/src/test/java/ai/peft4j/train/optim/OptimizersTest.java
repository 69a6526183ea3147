package ai.peft4j.train.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.state.SafetensorsFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steps on the quadratic {@code L(x) = sum(a x^2 / 2 + b x)}, gradient {@code a x + b}, whose gradients come from
 * the engine's autograd, against hand values and an independent double-precision computation of PyTorch's rules.
 */
class OptimizersTest {
    private static final double[] A = {1, 2, 4};
    private static final double[] B = {0.5, -1, 0};
    private static final double[] X0 = {1, 1, -2};

    private NDManager manager;
    private Parameter x;
    private Map<String, Parameter> params;

    @BeforeEach
    void open() {
        manager = EngineSetup.newManager();
        x = new Parameter(manager.create(toFloat(X0)));
        params = new LinkedHashMap<>();
        params.put("x", x);
        x.attachGradient();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private void backward() {
        try (NDManager step = manager.newSubManager();
                GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            NDArray a = step.create(toFloat(A));
            NDArray b = step.create(toFloat(B));
            NDArray xs = x.data();
            gc.backward(a.mul(xs).mul(xs).mul(0.5f).add(b.mul(xs)).sum());
        }
    }

    private double[] run(Optimizer opt, int steps) {
        for (int i = 0; i < steps; i++) {
            backward();
            opt.step();
            opt.zeroGrad();
        }
        return toDouble(x.data().toFloatArray());
    }

    @Test
    void adam_firstStep_movesEachWeightByLrAgainstGradientSign() {
        // Bias correction makes m_hat = g and sqrt(v_hat) = |g|: the first step is lr * g / (|g| + eps).
        double[] after = run(new Adam(params, 0.1), 1);
        assertArrayEquals(new double[] {1 - 0.1, 1 - 0.1, -2 + 0.1}, after, 1e-6);
    }

    @Test
    void adam_tenSteps_matchesDoublePrecisionPyTorchRule() {
        double[] after = run(new Adam(params, 0.05, 0.8, 0.99, 1e-8, 0), 10);
        assertArrayEquals(reference(10, 0.05, 0.8, 0.99, 1e-8, 0, false), after, 1e-5);
    }

    @Test
    void adam_weightDecay_isL2InTheGradient() {
        double[] after = run(new Adam(params, 0.05, 0.9, 0.999, 1e-8, 0.5), 8);
        assertArrayEquals(reference(8, 0.05, 0.9, 0.999, 1e-8, 0.5, false), after, 1e-5);
    }

    @Test
    void adamW_weightDecay_isDecoupled() {
        double[] after = run(new AdamW(params, 0.05, 0.9, 0.999, 1e-8, 0.5), 8);
        double[] expected = reference(8, 0.05, 0.9, 0.999, 1e-8, 0.5, true);
        assertArrayEquals(expected, after, 1e-5);
        // The two decays really differ on this problem.
        double[] l2 = reference(8, 0.05, 0.9, 0.999, 1e-8, 0.5, false);
        assertTrue(Math.abs(expected[2] - l2[2]) > 1e-3, "AdamW and Adam+L2 should differ");
    }

    @Test
    void sgdMomentum_twoSteps_byHand() {
        // x = 1, a = 1, b = 0.5: g0 = 1.5, buf = 1.5, x1 = 0.85; g1 = 1.35, buf = 0.9 * 1.5 + 1.35 = 2.7, x2 = 0.58.
        double[] after = run(new Sgd(params, 0.1, 0.9, 0, 0, false), 2);
        assertEquals(0.58, after[0], 1e-6);
    }

    @Test
    void sgdNesterov_twoSteps_byHand() {
        // g0 = 1.5, buf = 1.5, step 1.5 + 0.9 * 1.5 = 2.85, x1 = 0.715; g1 = 1.215, buf = 1.35 + 1.215 = 2.565,
        // step 1.215 + 0.9 * 2.565 = 3.5235, x2 = 0.36265.
        double[] after = run(new Sgd(params, 0.1, 0.9, 0, 0, true), 2);
        assertEquals(0.36265, after[0], 1e-6);
    }

    @Test
    void sgdWeightDecay_matchesDoublePrecisionRule() {
        double[] after = run(new Sgd(params, 0.05, 0.9, 0.1, 0.01, false), 6);
        double[] xs = X0.clone();
        double[] buf = new double[3];
        for (int t = 1; t <= 6; t++) {
            for (int i = 0; i < 3; i++) {
                double g = A[i] * xs[i] + B[i] + 0.01 * xs[i];
                buf[i] = t == 1 ? g : 0.9 * buf[i] + 0.9 * g;
                xs[i] -= 0.05 * buf[i];
            }
        }
        assertArrayEquals(xs, after, 1e-5);
    }

    @Test
    void state_savedAndLoaded_continuesExactlyAsUninterrupted(@TempDir Path dir) throws Exception {
        Function<Map<String, Parameter>, Optimizer> make = p -> new AdamW(p, 0.05, 0.9, 0.999, 1e-8, 0.1);
        Optimizer first = make.apply(params);
        run(first, 3);
        Path file = dir.resolve("optim.safetensors");
        SafetensorsFile.write(file, first.stateDict(manager), Map.of());
        float[] weightsAt3 = x.data().toFloatArray();

        Optimizer resumed = make.apply(params);
        resumed.loadStateDict(SafetensorsFile.read(file, manager).tensors());
        assertEquals(3, resumed.steps("x"));
        float[] resumedResult = toFloat(run(resumed, 3));

        x.replace(manager.create(weightsAt3));
        Optimizer straight = make.apply(params);
        straight.loadStateDict(first.stateDict(manager));
        assertArrayEquals(toFloat(run(straight, 3)), resumedResult, 0f);
        assertArrayEquals(toFloat(reference(6, 0.05, 0.9, 0.999, 1e-8, 0.1, true)), resumedResult, 1e-5f);
    }

    @Test
    void step_parameterWithoutGradient_isSkippedAsInPyTorch() {
        Parameter unused = new Parameter(manager.create(new float[] {3, 4}));
        unused.attachGradient();
        params.put("unused", unused);
        Optimizer opt = new AdamW(params, 0.1);
        run(opt, 2);
        assertArrayEquals(new float[] {3, 4}, unused.data().toFloatArray(), 0f);
        assertEquals(0, opt.steps("unused"));
        assertEquals(2, opt.steps("x"));
        assertNull(Gradients.of(unused));
    }

    @Test
    void zeroGrad_gradientsDoNotAccumulateAcrossSteps() {
        backward();
        backward();
        // Two backward passes add up: 2 * (a x + b) = 2 * 1.5 for the first weight.
        assertEquals(3.0, Gradients.of(x).toFloatArray()[0], 1e-6);
        new Sgd(params, 0.1).zeroGrad();
        assertEquals(0.0, Gradients.of(x).toFloatArray()[0], 0);
    }

    @Test
    void clipByGlobalNorm_scalesToMaxNorm() {
        backward();
        // g = (1.5, 1, -8): norm sqrt(2.25 + 1 + 64) = sqrt(67.25).
        double norm = GradientClipping.clipByGlobalNorm(params.values(), 1.0);
        assertEquals(Math.sqrt(67.25), norm, 1e-5);
        float[] g = Gradients.of(x).toFloatArray();
        double clipped = Math.sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
        assertEquals(1.0, clipped, 1e-5);
        assertEquals(1.5 / Math.sqrt(67.25), g[0], 1e-5);
    }

    @Test
    void loadStateDict_foreignParameter_isExplained() {
        Optimizer opt = new Adam(params, 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.loadStateDict(Map.of("decoder.weight.exp_avg", manager.zeros(new ai.djl.ndarray.types
                        .Shape(3)))));
        assertTrue(e.getMessage().contains("decoder.weight"), e.getMessage());
    }

    /** PyTorch's Adam / AdamW rule in double precision. */
    private static double[] reference(int steps, double lr, double b1, double b2, double eps, double wd,
            boolean decoupled) {
        double[] xs = X0.clone();
        double[] m = new double[3];
        double[] v = new double[3];
        for (int t = 1; t <= steps; t++) {
            for (int i = 0; i < 3; i++) {
                double g = A[i] * xs[i] + B[i];
                if (decoupled) {
                    xs[i] *= 1 - lr * wd;
                } else {
                    g += wd * xs[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                xs[i] -= lr / (1 - Math.pow(b1, t)) * m[i] / denom;
            }
        }
        return xs;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
