package ai.peft4j.infer.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.NamePattern;
import ai.peft4j.core.tensor.Resize;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LayerCAM or Grad-CAM maps of a segmentation model's modules for one class, as the published
 * {@code visualization.py} draws them: the target is the class's logit summed over a mask of pixels (by default
 * where the model predicts that class, as pytorch-grad-cam's {@code SemanticSegmentationTarget}), and each chosen
 * module's map combines its output with the target's gradient with respect to that output.
 *
 * <p>The gradient with respect to an intermediate output is read through a zero tensor that requires a gradient
 * and is added to the output in a forward hook: its gradient is the output's, the graph above the module stays
 * intact (so several modules share one backward pass), and frozen parameters need no gradient at all. The model
 * runs in eval mode and is left as it was found.
 *
 * <pre>{@code
 * List<String> modules = List.of("re:conv[1-4]", "final_conv");
 * try (ClassActivationMaps cams = ClassActivationMaps.of(model, CamMethod.LAYERCAM, modules)) {
 *     Explanation e = cams.explain(images, 1, null);
 * }
 * }</pre>
 */
public final class ClassActivationMaps implements AutoCloseable {
    /** pytorch-grad-cam's {@code scale_cam_image} guard against an all-zero map. */
    private static final float SCALE_EPSILON = 1e-7f;

    private final Module module;
    private final Layer layer;
    private final CamMethod method;
    private final List<String> paths;
    private final Map<String, Capture> captures = new LinkedHashMap<>();
    private final List<Module.HookHandle> handles = new ArrayList<>();
    private boolean recording;

    /** What a hook saw in the forward pass being explained. */
    private static final class Capture {
        int calls;
        NDArray output;
        NDArray probe;
        Object[] inputs;
    }

    private ClassActivationMaps(Module module, Layer layer, CamMethod method, List<String> paths) {
        this.module = module;
        this.layer = layer;
        this.method = method;
        this.paths = List.copyOf(paths);
    }

    /**
     * Hooks the modules of {@code model} whose dotted names match any of {@code patterns} ({@link NamePattern}
     * globs such as {@code *.adapter_up} or {@code final_conv}, or {@code re:} expressions such as
     * {@code re:conv[1-4]}).
     *
     * @throws IllegalArgumentException when a pattern matches no module
     */
    public static <M extends Module & Layer> ClassActivationMaps of(M model, CamMethod method, List<String> patterns) {
        ClassActivationMaps cams = new ClassActivationMaps(model, model, method, matching(model, patterns));
        for (String path : cams.paths) {
            Capture c = new Capture();
            cams.captures.put(path, c);
            cams.handles.add(model.module(path).addForwardHook((m, inputs, output) -> {
                if (!cams.recording) {
                    return output;
                }
                c.calls++;
                c.output = output;
                c.inputs = inputs;
                c.probe = output.zerosLike();
                c.probe.setRequiresGradient(true);
                return output.add(c.probe);
            }));
        }
        return cams;
    }

    /**
     * The dotted names of the modules below the root matching any pattern, in the model's order.
     *
     * @throws IllegalArgumentException naming the first pattern that matches nothing
     */
    public static List<String> matching(Module model, List<String> patterns) {
        if (patterns.isEmpty()) {
            throw new IllegalArgumentException("no modules to explain: give at least one name pattern");
        }
        List<String> names = new ArrayList<>(model.namedModules().keySet());
        names.remove("");
        List<String> out = new ArrayList<>();
        for (String pattern : patterns) {
            NamePattern p = NamePattern.of(pattern);
            List<String> hits = names.stream().filter(p).toList();
            if (hits.isEmpty()) {
                throw new IllegalArgumentException("no module of the model matches '" + pattern + "' (top-level "
                        + "modules: " + String.join(", ", model.children().keySet()) + "; '*' matches dots too, "
                        + "e.g. '*.adapter_up')");
            }
            hits.stream().filter(h -> !out.contains(h)).forEach(out::add);
        }
        names.retainAll(out);
        return names;
    }

    /** The hooked modules, in the model's order. */
    public List<String> modules() {
        return paths;
    }

    public CamMethod method() {
        return method;
    }

    /** The logits {@code [1, classes, H, W]} of {@code input} in eval mode without gradients, as plain values. */
    public float[] logits(NDArray input) {
        checkInput(input);
        boolean wasTraining = module.isTraining();
        module.eval();
        try (NDManager m = input.getManager().newSubManager()) {
            NDArray x = input.duplicate();
            x.attach(m);
            return NoGradient.run(() -> checkLogits(layer.forward(x), input).toType(DataType.FLOAT32, false)
                    .toFloatArray());
        } finally {
            module.train(wasTraining);
        }
    }

    /** The class of each input pixel, {@code H * W} row-major, as argmax over the logits. */
    public int[] classMap(NDArray input) {
        float[] logits = logits(input);
        int plane = (int) (input.getShape().get(2) * input.getShape().get(3));
        int classes = logits.length / plane;
        int[] out = new int[plane];
        for (int p = 0; p < plane; p++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[c * plane + p] > logits[best * plane + p]) {
                    best = c;
                }
            }
            out[p] = best;
        }
        return out;
    }

    /**
     * The maps of class {@code classIndex} on one image.
     *
     * @param input the network input {@code [1, 3, H, W]}
     * @param mask weights of the input pixels in the target ({@code H * W}, row-major), or null for the pixels the
     *     model predicts as the class
     */
    public Explanation explain(NDArray input, int classIndex, float[] mask) {
        checkInput(input);
        int height = (int) input.getShape().get(2);
        int width = (int) input.getShape().get(3);
        float[] weights = mask;
        if (weights == null) {
            int[] classes = classMap(input);
            weights = new float[classes.length];
            for (int p = 0; p < classes.length; p++) {
                weights[p] = classes[p] == classIndex ? 1f : 0f;
            }
        } else if (weights.length != height * width) {
            throw new IllegalArgumentException("a target mask of " + weights.length + " values for a " + height + "x"
                    + width + " input");
        }
        int targetPixels = 0;
        for (float w : weights) {
            targetPixels += w != 0 ? 1 : 0;
        }
        boolean wasTraining = module.isTraining();
        module.eval();
        List<ModuleMap> maps = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        try (NDManager m = input.getManager().newSubManager()) {
            NDArray x = input.duplicate();
            x.attach(m);
            captures.values().forEach(c -> c.calls = 0);
            try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                recording = true;
                NDArray logits;
                try {
                    logits = checkLogits(layer.forward(x), input);
                } finally {
                    recording = false;
                }
                if (classIndex < 0 || classIndex >= logits.getShape().get(1)) {
                    throw new IllegalArgumentException("class " + classIndex + " is not one of the model's "
                            + logits.getShape().get(1) + " classes (0.." + (logits.getShape().get(1) - 1) + ")");
                }
                NDArray target = logits.get(0).get(classIndex).mul(m.create(weights, new Shape(height, width)))
                        .sum();
                gc.backward(target);
                for (String path : paths) {
                    Capture c = captures.get(path);
                    String problem = c.calls == 0 ? "it did not run its forward hooks (it is not used, or its parent "
                            + "calls its forward directly; take a module inside or around it)"
                            : c.calls > 1 ? "it ran " + c.calls + " times in one forward, so its map is ambiguous"
                            : null;
                    FeatureLayout layout = null;
                    if (problem == null) {
                        try {
                            layout = FeatureLayout.of(c.output.getShape(), c.inputs, height, width);
                        } catch (IllegalArgumentException e) {
                            problem = e.getMessage();
                        }
                    }
                    if (problem != null) {
                        skipped.put(path, problem);
                        continue;
                    }
                    maps.add(map(m, path, layout, c, height, width));
                }
            } finally {
                captures.values().forEach(c -> {
                    c.output = null;
                    c.probe = null;
                    c.inputs = null;
                });
            }
        } finally {
            module.train(wasTraining);
        }
        return new Explanation(classIndex, targetPixels, List.copyOf(maps), skipped);
    }

    private ModuleMap map(NDManager m, String path, FeatureLayout layout, Capture c, int height, int width) {
        float[] activation = values(layout.toMap(c.output.stopGradient()));
        // A module the target does not depend on gets no gradient at all: its map is zero.
        float[] gradient = c.probe.hasGradient() && c.probe.getGradient() != null
                ? values(layout.toMap(c.probe.getGradient())) : new float[activation.length];
        float[] raw = method.combine(activation, gradient, layout.channels(), layout.plane());
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : raw) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float[] scaled = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            scaled[i] = (raw[i] - min) / (SCALE_EPSILON + (max - min));
        }
        NDArray up = Resize.bilinear(m.create(scaled, new Shape(1, 1, layout.height(), layout.width())), height, width,
                false);
        float[] map = up.toFloatArray();
        for (int i = 0; i < map.length; i++) {
            map[i] = Math.min(1f, Math.max(0f, map[i]));
        }
        return new ModuleMap(path, layout, raw, height, width, map);
    }

    private static float[] values(NDArray a) {
        return a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static void checkInput(NDArray input) {
        Shape s = input.getShape();
        if (s.dimension() != 4 || s.get(0) != 1) {
            throw new IllegalArgumentException("class activation maps take one image [1, channels, H, W], got " + s);
        }
    }

    private static NDArray checkLogits(NDArray logits, NDArray input) {
        Shape s = logits.getShape();
        if (s.dimension() != 4 || s.get(0) != 1 || s.get(2) != input.getShape().get(2)
                || s.get(3) != input.getShape().get(3)) {
            throw new IllegalStateException("the model gave logits of shape " + s + " for an input of "
                    + input.getShape() + "; class activation maps need a segmentation model's [1, classes, H, W]");
        }
        return logits;
    }

    /** Removes the hooks. */
    @Override
    public void close() {
        handles.forEach(Module.HookHandle::remove);
        handles.clear();
    }
}
