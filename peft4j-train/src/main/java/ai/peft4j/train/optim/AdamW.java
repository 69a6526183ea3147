package ai.peft4j.train.optim;

import ai.peft4j.core.nn.Parameter;
import java.util.Map;

/**
 * AdamW as {@code torch.optim.AdamW}: the weights shrink by {@code 1 - lr * weight_decay} before the Adam step,
 * instead of the decay entering the gradient. PyTorch's default decay is 0.01.
 */
public final class AdamW extends Adam {
    public AdamW(Map<String, Parameter> parameters, double lr) {
        this(parameters, lr, 0.9, 0.999, 1e-8, 0.01);
    }

    public AdamW(Map<String, Parameter> parameters, double lr, double beta1, double beta2, double eps,
            double weightDecay) {
        super(parameters, lr, beta1, beta2, eps, weightDecay);
    }

    @Override
    protected boolean decoupled() {
        return true;
    }
}
