package ai.peft4j.train.distill;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The features of a model that does not fork them itself: forward hooks on named modules record what those
 * modules return during an ordinary forward, and the list is their outputs in the order named, then the logits.
 * No model code changes; {@link #close} removes the hooks.
 *
 * <pre>{@code
 * try (ModuleOutputs teacherMaps = ModuleOutputs.of(unet, "Att1", "conv1")) {
 *     List<NDArray> maps = teacherMaps.features(images);
 * }
 * }</pre>
 */
public final class ModuleOutputs implements FeatureModel, AutoCloseable {
    private final Layer model;
    private final List<String> paths;
    private final Map<String, NDArray> captured = new LinkedHashMap<>();
    private final List<Module.HookHandle> handles = new ArrayList<>();

    private ModuleOutputs(Layer model, List<String> paths) {
        this.model = model;
        this.paths = List.copyOf(paths);
    }

    /** Hooks the modules at {@code paths} (dotted, as in the state dict) of {@code model}. */
    public static <M extends Module & Layer> ModuleOutputs of(M model, String... paths) {
        ModuleOutputs out = new ModuleOutputs(model, List.of(paths));
        for (String path : paths) {
            Module m;
            try {
                m = model.module(path);
            } catch (IllegalArgumentException e) {
                out.close();
                throw new IllegalArgumentException("no module '" + path + "' to take features from: "
                        + e.getMessage(), e);
            }
            out.handles.add(m.addForwardHook((module, inputs, output) -> {
                out.captured.put(path, output);
                return output;
            }));
        }
        return out;
    }

    @Override
    public List<NDArray> features(NDArray images) {
        captured.clear();
        NDArray logits = model.forward(images);
        List<NDArray> out = new ArrayList<>(paths.size() + 1);
        for (String path : paths) {
            NDArray f = captured.get(path);
            if (f == null) {
                throw new IllegalStateException("module '" + path + "' did not run its forward hooks in this "
                        + "forward (it is not used, or its parent calls it directly instead of through call())");
            }
            out.add(f);
        }
        captured.clear();
        out.add(logits);
        return out;
    }

    @Override
    public void close() {
        handles.forEach(Module.HookHandle::remove);
        handles.clear();
    }
}
