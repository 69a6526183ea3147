package ai.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Parameter;
import java.util.List;
import java.util.Map;

/**
 * Adam as {@code torch.optim.Adam} (not AMSGrad): weight decay is L2, added to the gradient before the moments;
 * the step is {@code lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}. {@link AdamW} decouples the decay.
 */
public class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(Map<String, Parameter> parameters, double lr) {
        this(parameters, lr, 0.9, 0.999, 1e-8, 0);
    }

    public Adam(Map<String, Parameter> parameters, double lr, double beta1, double beta2, double eps,
            double weightDecay) {
        super(parameters, lr);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must lie in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    protected double weightDecay() {
        return weightDecay;
    }

    /** Whether weight decay is decoupled from the gradient (AdamW). */
    protected boolean decoupled() {
        return false;
    }

    @Override
    protected List<String> slots() {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    protected void update(String name, NDArray weight, NDArray grad, double lr, long step) {
        NDArray g = grad;
        if (weightDecay != 0) {
            if (decoupled()) {
                weight.muli(1 - lr * weightDecay);
            } else {
                g = g.add(weight.mul(weightDecay));
            }
        }
        NDArray m = slot(name, "exp_avg", weight);
        NDArray v = slot(name, "exp_avg_sq", weight);
        m.muli(beta1).addi(g.mul(1 - beta1));
        v.muli(beta2).addi(g.mul(g).muli(1 - beta2));
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        NDArray denom = v.sqrt().divi(Math.sqrt(bc2)).addi(eps);
        weight.subi(m.div(denom).muli(lr / bc1));
    }
}
