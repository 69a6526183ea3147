package ai.peft4j.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.peft4j.core.nn.Parameter;

/**
 * Gradients of parameters as PyTorch holds them. DJL's {@code getGradient()} makes a tensor of zeros where PyTorch
 * has none (a parameter the forward pass never used), and PyTorch's optimisers skip such parameters; reading the
 * engine's gradient directly keeps that distinction.
 */
public final class Gradients {
    private Gradients() {}

    /** The gradient of the last backward passes (accumulated), or null when the engine holds none. */
    public static NDArray of(Parameter p) {
        NDArray data = p.data();
        if (!p.isTrainable() || !data.hasGradient()) {
            return null;
        }
        return JniUtils.getGradient((PtNDArray) data);
    }

    /** Sets the gradient to zero in place (NaN included), where there is one. */
    public static void zero(Parameter p) {
        NDArray g = of(p);
        if (g != null) {
            g.close();
            JniUtils.zeroGrad((PtNDArray) p.data());
        }
    }
}
