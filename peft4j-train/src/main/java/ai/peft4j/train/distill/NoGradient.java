package ai.peft4j.train.distill;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Runs code with autograd recording off, as {@code torch.no_grad()}: inside a training step's gradient collector
 * the frozen teacher's forward then builds no graph, and what it returns carries no gradient.
 */
final class NoGradient {
    private NoGradient() {}

    static <T> T run(Supplier<T> body) {
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(was);
        }
    }
}
