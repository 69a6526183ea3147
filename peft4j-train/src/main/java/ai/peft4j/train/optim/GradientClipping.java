package ai.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.peft4j.core.nn.Parameter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Clipping by global norm, as {@code torch.nn.utils.clip_grad_norm_} with the L2 norm. */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * Scales all gradients by {@code maxNorm / (norm + 1e-6)} when their joint L2 norm exceeds {@code maxNorm}.
     *
     * @return the norm before clipping (NaN or infinite when a gradient is)
     */
    public static double clipByGlobalNorm(Collection<Parameter> parameters, double maxNorm) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<NDArray> grads = new ArrayList<>();
            double sumSq = 0;
            for (Parameter p : parameters) {
                NDArray g = Gradients.of(p);
                if (g != null) {
                    grads.add(g);
                    sumSq += g.square().sum().getFloat();
                }
            }
            double norm = Math.sqrt(sumSq);
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                for (NDArray g : grads) {
                    g.muli(coef);
                }
            }
            return norm;
        }
    }
}
