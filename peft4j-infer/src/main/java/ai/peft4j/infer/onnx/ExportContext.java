package ai.peft4j.infer.onnx;

import ai.peft4j.core.nn.Module;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * What emitters build with: the graph, dispatch to the emitter of a child module (by its exact class, so a
 * wrapped or adapted layer is never exported as the plain layer it extends), and shape-checked helpers for the
 * operators forwards use between modules. Node names follow module paths ({@code FFM.dwconv/Conv}).
 */
public final class ExportContext {
    private final OnnxGraph graph;
    private final Map<Class<?>, Emitter<?>> emitters;
    private final Deque<String> path = new ArrayDeque<>();

    ExportContext(OnnxGraph graph, Map<Class<?>, Emitter<?>> emitters) {
        this.graph = graph;
        this.emitters = emitters;
    }

    public OnnxGraph graph() {
        return graph;
    }

    /** Emits a module on {@code x} with the emitter registered for its class. */
    @SuppressWarnings("unchecked")
    public <M extends Module> Value emit(M module, Value x) {
        Emitter<M> e = (Emitter<M>) emitters.get(module.getClass());
        if (e == null) {
            throw new IllegalArgumentException("cannot export " + where() + ": no ONNX emitter for "
                    + module.getClass().getName() + " (merge fine-tuning adapters into the weights first; "
                    + "exportable classes: " + emitters.keySet().stream().map(Class::getSimpleName).sorted().toList()
                    + ")");
        }
        if (module.hasForwardHooks()) {
            throw new IllegalArgumentException("cannot export " + where() + ": it has forward hooks, which change "
                    + "its output in ways an ONNX graph cannot follow; remove them first");
        }
        return e.emit(this, module, x);
    }

    /** Emits the named child of {@code parent}; node names get the child's name appended. */
    public Value child(Module parent, String name, Value x) {
        path.addLast(name);
        try {
            return emit(parent.child(name), x);
        } finally {
            path.removeLast();
        }
    }

    /** Runs {@code body} with {@code name} appended to the node-name path (for multi-input children). */
    public <T> T within(String name, java.util.function.Supplier<T> body) {
        path.addLast(name);
        try {
            return body.get();
        } finally {
            path.removeLast();
        }
    }

    /** The module path being emitted, for messages. */
    public String where() {
        return path.isEmpty() ? "the model" : "module '" + String.join(".", path) + "'";
    }

    private String hint(String op) {
        return path.isEmpty() ? op : String.join(".", path) + "/" + op;
    }

    // ---------------------------------------------------------------- operators

    /** A node with one output of the given shape. */
    public Value op(String opType, long[] shape, Map<String, Object> attributes, String... inputs) {
        return new Value(graph.node(opType, hint(opType), attributes, inputs), shape);
    }

    public String constant(String hint, float[] values, long... dims) {
        return graph.floats(hint(hint), values, dims);
    }

    public String int64s(String hint, long... values) {
        return graph.longs(hint(hint), values);
    }

    public Value add(Value a, Value b) {
        return op("Add", broadcast(a.shape(), b.shape()), Map.of(), a.name(), b.name());
    }

    public Value sub(Value a, Value b) {
        return op("Sub", broadcast(a.shape(), b.shape()), Map.of(), a.name(), b.name());
    }

    public Value mul(Value a, Value b) {
        return op("Mul", broadcast(a.shape(), b.shape()), Map.of(), a.name(), b.name());
    }

    /** Multiplies by a constant of the given shape (the constant first, as {@code c.mul(x)} is written). */
    public Value mulConstant(String hint, float[] values, long[] dims, Value x) {
        String c = constant(hint, values, dims);
        return op("Mul", broadcast(dims, x.shape()), Map.of(), c, x.name());
    }

    public Value scale(Value x, float factor) {
        String c = constant("scale", new float[] {factor});
        return op("Mul", x.shape(), Map.of(), x.name(), c);
    }

    public Value relu(Value x) {
        return op("Relu", x.shape(), Map.of(), x.name());
    }

    public Value matMul(Value a, Value b) {
        long[] sa = a.shape();
        long[] sb = b.shape();
        long[] batch = broadcast(Arrays.copyOf(sa, sa.length - 2), Arrays.copyOf(sb, sb.length - 2));
        if (sa[sa.length - 1] != sb[sb.length - 2]) {
            throw new IllegalArgumentException(where() + ": cannot multiply " + a + " by " + b);
        }
        long[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = sa[sa.length - 2];
        out[batch.length + 1] = sb[sb.length - 1];
        return op("MatMul", out, Map.of(), a.name(), b.name());
    }

    public Value softmax(Value x, int axis) {
        return op("Softmax", x.shape(), Map.of("axis", (long) axis), x.name());
    }

    public Value transpose(Value x, long... perm) {
        long[] out = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = x.dim((int) perm[i]);
        }
        return op("Transpose", out, Map.of("perm", perm), x.name());
    }

    /** Reshape where a 0 keeps the batch axis (so an open batch size stays open). */
    public Value reshape(Value x, long... dims) {
        long[] out = dims.clone();
        long known = 1;
        for (int i = 1; i < out.length; i++) {
            known *= out[i];
        }
        long total = 1;
        for (int i = 1; i < x.rank(); i++) {
            total *= x.dim(i);
        }
        if (dims[0] != 0 || known != total) {
            throw new IllegalArgumentException(where() + ": cannot reshape " + x + " to " + Arrays.toString(dims));
        }
        out[0] = x.dim(0);
        return op("Reshape", out, Map.of(), x.name(), int64s("shape", dims));
    }

    /**
     * Reshape whose first dimension is {@code -1}: the batch folded with other axes (windows of a batch, say).
     * The static shape keeps {@code -1} there unless every input dimension is known.
     */
    public Value reshapeFolded(Value x, long... dims) {
        if (dims[0] != -1) {
            throw new IllegalArgumentException(where() + ": the first dimension of a folded reshape must be -1");
        }
        long[] out = dims.clone();
        long total = 1;
        boolean known = true;
        for (long d : x.shape()) {
            known &= d >= 0;
            total *= Math.abs(d);
        }
        long rest = 1;
        for (int i = 1; i < dims.length; i++) {
            rest *= dims[i];
        }
        if (known) {
            if (total % rest != 0) {
                throw new IllegalArgumentException(where() + ": cannot reshape " + x + " to "
                        + Arrays.toString(dims));
            }
            out[0] = total / rest;
        }
        return op("Reshape", out, Map.of(), x.name(), int64s("shape", dims));
    }

    /** {@code x[..., start:end:step, ...]} on the given axes. */
    public Value slice(Value x, long[] starts, long[] ends, long[] axes, long[] steps) {
        long[] out = x.shape().clone();
        for (int i = 0; i < axes.length; i++) {
            int a = (int) axes[i];
            long end = Math.min(ends[i], x.dim(a));
            out[a] = (end - starts[i] + steps[i] - 1) / steps[i];
        }
        return op("Slice", out, Map.of(), x.name(), int64s("starts", starts), int64s("ends", ends),
                int64s("axes", axes), int64s("steps", steps));
    }

    /** {@code torch.roll(x, shift, axis)} as two slices and a concatenation. */
    public Value roll(Value x, long shift, int axis) {
        long n = x.dim(axis);
        long k = ((shift % n) + n) % n;
        if (k == 0) {
            return x;
        }
        Value tail = slice(x, new long[] {n - k}, new long[] {n}, new long[] {axis}, new long[] {1});
        Value head = slice(x, new long[] {0}, new long[] {n - k}, new long[] {axis}, new long[] {1});
        return concat(List.of(tail, head), axis);
    }

    /** Zero padding at the end of each axis by {@code after[axis]}. */
    public Value padEnd(Value x, long... after) {
        long[] pads = new long[2 * after.length];
        long[] out = x.shape().clone();
        for (int i = 0; i < after.length; i++) {
            pads[after.length + i] = after[i];
            if (out[i] >= 0) {
                out[i] += after[i];
            }
        }
        return op("Pad", out, Map.of("mode", "constant"), x.name(), int64s("pads", pads));
    }

    /** {@code x[index]} along {@code axis} (the axis is dropped). */
    public Value select(Value x, long index, int axis) {
        long[] out = new long[x.rank() - 1];
        for (int i = 0, j = 0; i < x.rank(); i++) {
            if (i != axis) {
                out[j++] = x.dim(i);
            }
        }
        String idx = graph.addInitializer(Initializer.ofLongs(hint("index"), new long[] {index}));
        return op("Gather", out, Map.of("axis", (long) axis), x.name(), idx);
    }

    public Value concat(List<Value> parts, int axis) {
        long[] out = parts.get(0).shape().clone();
        long sum = 0;
        List<String> names = new ArrayList<>();
        for (Value v : parts) {
            sum += v.dim(axis);
            names.add(v.name());
        }
        out[axis] = sum;
        return op("Concat", out, Map.of("axis", (long) axis), names.toArray(String[]::new));
    }

    /**
     * Bilinear resize to {@code height x width} as {@code F.interpolate(mode='bilinear', align_corners=...)}:
     * ONNX's "align_corners" transform, or "pytorch_half_pixel" (torch's rule, clamped at the border by ONNX
     * Runtime) when corners are not aligned.
     */
    public Value resize(Value x, long height, long width, boolean alignCorners) {
        if (x.dim(2) == height && x.dim(3) == width) {
            return x;
        }
        String sizes;
        if (x.dim(0) < 0) {
            // An open batch: the first two sizes come from the input's shape at run time.
            Value shape = op("Shape", new long[] {4}, Map.of(), x.name());
            Value nc = op("Slice", new long[] {2}, Map.of(), shape.name(), int64s("starts", 0),
                    int64s("ends", 2));
            sizes = op("Concat", new long[] {4}, Map.of("axis", 0L), nc.name(), int64s("hw", height, width)).name();
        } else {
            sizes = int64s("sizes", x.dim(0), x.dim(1), height, width);
        }
        return op("Resize", new long[] {x.dim(0), x.dim(1), height, width}, Map.of("mode", "linear",
                "coordinate_transformation_mode", alignCorners ? "align_corners" : "pytorch_half_pixel"),
                x.name(), "", "", sizes);
    }

    /** {@code numpy}-style broadcast of two static shapes (open batch axes stay open). */
    public long[] broadcast(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long da = i < n - a.length ? 1 : a[i - (n - a.length)];
            long db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else if (da < 0 || db < 0) {
                out[i] = -1;
            } else {
                throw new IllegalArgumentException(where() + ": shapes " + Arrays.toString(a) + " and "
                        + Arrays.toString(b) + " do not broadcast");
            }
        }
        return out;
    }
}
