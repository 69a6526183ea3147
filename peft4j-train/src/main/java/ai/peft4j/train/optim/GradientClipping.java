package ai.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.peft4j.core.nn.Parameter;
import java.util.Collection;
import java.util.Map;

/** The global gradient norm, and clipping by it as {@code torch.nn.utils.clip_grad_norm_} with the L2 norm. */
public final class GradientClipping {
    private GradientClipping() {}

    /** The joint L2 norm of all gradients (NaN or infinite when a gradient is); one read from the engine. */
    public static double globalNorm(Collection<Parameter> parameters) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray sum = null;
            for (Parameter p : parameters) {
                NDArray g = Gradients.of(p);
                if (g != null) {
                    NDArray s = g.square().sum();
                    sum = sum == null ? s : sum.add(s);
                }
            }
            return sum == null ? 0 : Math.sqrt(sum.getFloat());
        }
    }

    /**
     * Scales all gradients by {@code maxNorm / (norm + 1e-6)} when their joint L2 norm exceeds {@code maxNorm}.
     *
     * @return the norm before clipping (NaN or infinite when a gradient is; nothing is scaled then)
     */
    public static double clipByGlobalNorm(Collection<Parameter> parameters, double maxNorm) {
        double norm = globalNorm(parameters);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (Parameter p : parameters) {
                    NDArray g = Gradients.of(p);
                    if (g != null) {
                        g.muli(coef);
                    }
                }
            }
        }
        return norm;
    }

    /** The first parameter whose gradient holds a NaN or infinity, or null: to say where a divergence starts. */
    public static String firstNonFinite(Map<String, Parameter> parameters) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                NDArray g = Gradients.of(e.getValue());
                if (g != null && !Double.isFinite(g.sum().getFloat())) {
                    return e.getKey();
                }
            }
            return null;
        }
    }
}
