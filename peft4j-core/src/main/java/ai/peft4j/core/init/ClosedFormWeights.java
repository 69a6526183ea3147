package ai.peft4j.core.init;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Buffer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The deterministic weights of the reference fixtures: every tensor is a function of its state-dict name, so a
 * model here and the published PyTorch model hold the same numbers without any weight file. For a tensor with
 * {@code n} elements, element {@code i} (row-major) is computed in double precision from
 * {@code s_i = sin(0.37 i + phase)}, {@code phase = (crc32(name) mod 10007) / 1000}:
 * <ul>
 *   <li>parameters with two or more axes: {@code s_i / sqrt(max(fan_in, 1))}, {@code fan_in = n / shape[0]};
 *   <li>one-axis parameters named {@code *weight}: {@code 1 + 0.1 s_i}; other one-axis parameters: {@code 0.1 s_i};
 *   <li>BatchNorm {@code running_mean}: {@code 0.1 s_i}; {@code running_var}: {@code 1 + 0.5 |s_i|}.
 * </ul>
 * Other buffers keep the values the model computes; empty tensors are skipped.
 */
public final class ClosedFormWeights {
    private ClosedFormWeights() {}

    /** Fills every parameter and BatchNorm running statistic of {@code model}. */
    public static void fill(Module model) {
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (p.size() == 0) {
                continue;
            }
            try (NDArray v = tensor(p.data().getManager(), e.getKey(), p.shape(), Role.PARAMETER)) {
                p.replace(v);
            }
        }
        for (Map.Entry<String, Buffer> e : model.namedBuffers().entrySet()) {
            Role role = e.getKey().endsWith("running_mean") ? Role.RUNNING_MEAN
                    : e.getKey().endsWith("running_var") ? Role.RUNNING_VAR : null;
            Buffer b = e.getValue();
            if (role == null || b.data().size() == 0) {
                continue;
            }
            try (NDArray v = tensor(b.data().getManager(), e.getKey(), b.data().getShape(), role)) {
                b.replace(v);
            }
        }
    }

    /** What a tensor is, which decides its formula. */
    public enum Role {
        PARAMETER, RUNNING_MEAN, RUNNING_VAR
    }

    /** The closed-form values of one named tensor. */
    public static NDArray tensor(NDManager manager, String name, Shape shape, Role role) {
        return manager.create(values(name, shape, role), shape);
    }

    /** The closed-form values of one named tensor, as floats. */
    public static float[] values(String name, Shape shape, Role role) {
        int n = Math.toIntExact(shape.size());
        CRC32 crc = new CRC32();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        double phase = (crc.getValue() % 10007) / 1000.0;
        float[] out = new float[n];
        boolean matrix = shape.dimension() >= 2;
        double scale = matrix ? 1.0 / Math.sqrt(Math.max((double) n / shape.get(0), 1.0)) : 1.0;
        boolean weight = name.endsWith("weight");
        for (int i = 0; i < n; i++) {
            double s = Math.sin(0.37 * i + phase);
            double v;
            switch (role) {
                case RUNNING_MEAN:
                    v = 0.1 * s;
                    break;
                case RUNNING_VAR:
                    v = 1 + 0.5 * Math.abs(s);
                    break;
                default:
                    v = matrix ? s * scale : weight ? 1 + 0.1 * s : 0.1 * s;
            }
            out[i] = (float) v;
        }
        return out;
    }

    /** {@code sin(step * i)} over the flat index, the fixtures' input images and text vectors. */
    public static NDArray sinusoid(NDManager manager, Shape shape, double step) {
        int n = Math.toIntExact(shape.size());
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) Math.sin(step * i);
        }
        return manager.create(out, shape);
    }
}
