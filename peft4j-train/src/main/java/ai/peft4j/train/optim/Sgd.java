package ai.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Parameter;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD}: L2 weight decay into the gradient; a momentum buffer that
 * starts as the first gradient and then follows {@code b = momentum * b + (1 - dampening) * g}; with Nesterov the
 * step uses {@code g + momentum * b}, otherwise {@code b}.
 */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;

    public Sgd(Map<String, Parameter> parameters, double lr) {
        this(parameters, lr, 0, 0, 0, false);
    }

    public Sgd(Map<String, Parameter> parameters, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        super(parameters, lr);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and no dampening (as in "
                    + "PyTorch), got momentum " + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    protected List<String> slots() {
        return List.of("momentum_buffer");
    }

    @Override
    protected void update(String name, NDArray weight, NDArray grad, double lr, long step) {
        NDArray g = grad;
        if (weightDecay != 0) {
            g = g.add(weight.mul(weightDecay));
        }
        if (momentum != 0) {
            boolean first = !hasSlot(name, "momentum_buffer");
            NDArray buf = slot(name, "momentum_buffer", weight);
            if (first) {
                buf.addi(g);
            } else {
                buf.muli(momentum).addi(g.mul(1 - dampening));
            }
            g = nesterov ? g.add(buf.mul(momentum)) : buf;
        }
        weight.subi(g.mul(lr));
    }
}
