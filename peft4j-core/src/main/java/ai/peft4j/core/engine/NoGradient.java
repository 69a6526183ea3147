package ai.peft4j.core.engine;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Runs code with autograd recording off, as {@code torch.no_grad()}: a frozen teacher inside a training step, or
 * inference, then builds no graph, and what it returns carries no gradient. The mode is per thread, as in PyTorch.
 */
public final class NoGradient {
    private NoGradient() {}

    public static <T> T run(Supplier<T> body) {
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(was);
        }
    }
}
