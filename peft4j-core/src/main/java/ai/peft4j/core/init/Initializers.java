package ai.peft4j.core.init;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Parameter;

/** Random initial values, drawn from the engine's generator (seed it with {@code EngineSetup.seed}). */
public final class Initializers {
    private Initializers() {}

    /**
     * PyTorch's default for Linear and Conv weights and biases: kaiming-uniform with a = sqrt(5), which comes to
     * U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
     */
    public static NDArray pytorchDefault(NDManager manager, Shape shape, long fanIn) {
        float bound = (float) (1.0 / Math.sqrt(Math.max(fanIn, 1)));
        return manager.randomUniform(-bound, bound, shape);
    }

    /** Normal(0, std) truncated to [-2, 2], timm's {@code trunc_normal_(std=...)}. */
    public static NDArray truncNormal(NDManager manager, Shape shape, float std) {
        return manager.randomNormal(0f, std, shape, ai.djl.ndarray.types.DataType.FLOAT32).clip(-2f, 2f);
    }

    /** Overwrites a parameter with Normal(0, std), PyTorch's {@code normal_(w, 0, std)}. */
    public static void normal(Parameter p, float std) {
        try (NDArray v = p.data().getManager().randomNormal(0f, std, p.shape(), ai.djl.ndarray.types.DataType.FLOAT32)) {
            p.replace(v);
        }
    }

    /** Overwrites a parameter with a truncated normal. */
    public static void truncNormal(Parameter p, float std) {
        try (NDArray v = truncNormal(p.data().getManager(), p.shape(), std)) {
            p.replace(v);
        }
    }

    /** Overwrites a parameter with a constant. */
    public static void constant(Parameter p, float value) {
        try (NDArray v = p.data().getManager().full(p.shape(), value)) {
            p.replace(v);
        }
    }
}
