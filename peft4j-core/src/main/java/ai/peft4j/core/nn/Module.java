package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.core.state.StateDictException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A node of a model: named parameters, named buffers and named children, in registration order, as in PyTorch's
 * {@code nn.Module}. Dotted paths ({@code swin_backbone.layers.0.blocks.1.attn.qkv.weight}) name everything in the
 * tree, so weights written by PyTorch load by name and a fine-tuning method can replace a module by its path.
 *
 * <p>Parents call their children through {@link #child(String)} at forward time rather than holding them in
 * fields: a child replaced with {@link #replace(String, Module)} (say a Linear wrapped with a low-rank update)
 * takes part in the next forward without any change to the parent's code.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Buffer> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final List<ForwardHook> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<ForwardPreHook> preHooks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, List<String>> units = new LinkedHashMap<>();
    private boolean training = true;
    private boolean heldInEval;

    // ---------------------------------------------------------------- registration

    protected final Parameter registerParameter(String name, NDArray data) {
        checkName(name);
        Parameter p = new Parameter(data);
        parameters.put(name, p);
        return p;
    }

    protected final Buffer registerBuffer(String name, NDArray data, boolean persistent) {
        checkName(name);
        Buffer b = new Buffer(data, persistent);
        buffers.put(name, b);
        return b;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        module.train(training);
        return module;
    }

    /**
     * Adds a child from outside the module's own code, as PyTorch's {@code add_module}: how a fine-tuning method
     * places its adapter weights under the module they belong to, so their names follow the model's.
     */
    public final <M extends Module> M addModule(String name, M module) {
        return registerModule(name, module);
    }

    /**
     * Adds a parameter from outside the module's own code, as PyTorch's {@code register_parameter}: how a
     * fine-tuning method places a tensor it learns (a prompt) under the module the published code puts it in. The
     * same {@link Parameter} object may be removed and added again, so optimiser state keyed by it survives.
     */
    public final Parameter addParameter(String name, Parameter parameter) {
        checkName(name);
        parameters.put(name, parameter);
        return parameter;
    }

    /** Removes a parameter added with {@link #addParameter}; returns it. */
    public final Parameter removeParameter(String name) {
        Parameter p = parameters.remove(name);
        if (p == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no parameter '" + name + "'");
        }
        return p;
    }

    /** Removes a child added with {@link #addModule}; returns it. */
    public final Module removeModule(String name) {
        Module m = children.remove(name);
        if (m == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child '" + name + "'");
        }
        return m;
    }

    /**
     * Declares that the children {@code members} run together, as the unit {@code name}, through
     * {@link #callUnit}: a stretch of the forward that is no module of its own (the published names keep its
     * children flat, as a U-Net decoder level's upsampler, gate and convolution) but that a training step may
     * checkpoint as a whole, by a pattern matching {@code <this module's path>.<name>}. Units hold no weights and
     * leave every name of the state dict unchanged.
     */
    protected final void registerUnit(String name, String... members) {
        if (name.isEmpty() || name.contains(".") || units.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("invalid or repeated unit name '" + name + "'");
        }
        for (String m : members) {
            child(m);
        }
        units.put(name, List.of(members));
    }

    /** The units declared with {@link #registerUnit}: name to the children it runs, in declaration order. */
    public final Map<String, List<String>> units() {
        return Collections.unmodifiableMap(units);
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("invalid member name '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("member '" + name + "' already registered in "
                    + getClass().getSimpleName());
        }
    }

    // ---------------------------------------------------------------- access

    /** The direct child of that name; fails with the list of children when there is none. */
    public final Module child(String name) {
        Module m = children.get(name);
        if (m == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child '" + name
                    + "' (children: " + children.keySet() + ")");
        }
        return m;
    }

    /** Runs the named child, which must be a {@link Layer}, on {@code x}, then the child's forward hooks. */
    protected final NDArray call(String name, NDArray x) {
        Module m = child(name);
        if (!(m instanceof Layer)) {
            throw new IllegalStateException("child '" + name + "' (" + m.getClass().getSimpleName()
                    + ") is not a one-input layer");
        }
        return StepMemory.run(m, x, input -> {
            NDArray in = input;
            for (ForwardPreHook h : m.preHooks) {
                in = h.apply(m, in);
            }
            NDArray out = ((Layer) m).forward(in);
            return m.hooks.isEmpty() ? out : m.runHooks(out, in);
        });
    }

    /**
     * Runs a child whose forward is not a one-input layer's (a Swin block on its token grid) on the array that
     * carries its gradient, so that an open {@link StepMemory} can free, skip or checkpoint it as it does for
     * {@link #call(String, NDArray)}. {@code forward} must depend on nothing but {@code x} and fixed values.
     */
    protected static NDArray call(Module child, NDArray x, java.util.function.UnaryOperator<NDArray> forward) {
        return StepMemory.run(child, x, forward);
    }

    /**
     * Runs {@code forward} on {@code inputs} as the unit {@code name} (see {@link #registerUnit}). Without an open
     * {@link StepMemory} this is {@code forward.apply(inputs)}; in a step whose checkpoint patterns match the unit,
     * the unit keeps only its inputs and its output and is run again during backward. {@code forward} must depend
     * on nothing but {@code inputs}, this module's children and fixed values.
     */
    protected final NDArray callUnit(String name, List<NDArray> inputs,
            java.util.function.Function<List<NDArray>, NDArray> forward) {
        if (!units.containsKey(name)) {
            throw new IllegalStateException(getClass().getSimpleName() + " has no unit '" + name + "' (units: "
                    + units.keySet() + ")");
        }
        return StepMemory.runUnit(this, name, inputs, forward);
    }

    // ---------------------------------------------------------------- hooks

    /**
     * Adds a hook that sees and may replace this module's output. Hooks run in the order they were added; one-input
     * layers run them when their parent calls them, modules with several inputs at the end of their forward.
     */
    public final HookHandle addForwardHook(ForwardHook hook) {
        hooks.add(hook);
        return () -> hooks.remove(hook);
    }

    /**
     * Adds a hook that sees and may replace this module's input before it runs, as PyTorch's
     * {@code register_forward_pre_hook}. Only one-input layers called by their parent run these.
     */
    public final HookHandle addForwardPreHook(ForwardPreHook hook) {
        preHooks.add(hook);
        return () -> preHooks.remove(hook);
    }

    public final boolean hasForwardHooks() {
        return !hooks.isEmpty();
    }

    public final boolean hasForwardPreHooks() {
        return !preHooks.isEmpty();
    }

    /** True when a hook on this module may keep what it sees (see {@link ForwardHook#isStateless()}). */
    final boolean hasStatefulHooks() {
        return hooks.stream().anyMatch(h -> !h.isStateless()) || preHooks.stream().anyMatch(h -> !h.isStateless());
    }

    /**
     * True while this module's forward reads trainable arrays that are not its parameters (prefix tokens): a step's
     * {@link StepMemory} then treats it as it treats a hooked module and runs it as written.
     */
    protected boolean readsOutsideParameters() {
        return false;
    }

    /** This module's own parameters, not its children's. */
    final java.util.Collection<Parameter> ownParameters() {
        return Collections.unmodifiableCollection(parameters.values());
    }

    /** Runs this module's hooks over its output; modules with several inputs call this last in their forward. */
    protected final NDArray runHooks(NDArray output, Object... inputs) {
        NDArray out = output;
        for (ForwardHook h : hooks) {
            out = h.apply(this, inputs, out);
        }
        return out;
    }

    /** Removes a hook again. */
    @FunctionalInterface
    public interface HookHandle {
        void remove();
    }

    public final boolean hasChild(String name) {
        return children.containsKey(name);
    }

    public final Parameter parameter(String name) {
        Parameter p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no parameter '" + name + "'");
        }
        return p;
    }

    public final boolean hasParameter(String name) {
        return parameters.containsKey(name);
    }

    public final Buffer buffer(String name) {
        Buffer b = buffers.get(name);
        if (b == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no buffer '" + name + "'");
        }
        return b;
    }

    /** Direct children in registration order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** The module at a dotted path below this one ({@code ""} is this module). */
    public final Module module(String path) {
        if (path.isEmpty()) {
            return this;
        }
        Module m = this;
        for (String part : path.split("\\.")) {
            m = m.child(part);
        }
        return m;
    }

    /**
     * Replaces the module at a dotted path and returns the one it replaced. The new module takes over the
     * training mode of the old one.
     */
    public final Module replace(String path, Module replacement) {
        int dot = path.lastIndexOf('.');
        Module parent = dot < 0 ? this : module(path.substring(0, dot));
        String name = path.substring(dot + 1);
        Module old = parent.child(name);
        replacement.train(old.isTraining());
        parent.children.put(name, replacement);
        return old;
    }

    /** This module and all below it, keyed by dotted path, in PyTorch's {@code named_modules()} order. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out) {
        out.put(prefix, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectModules(join(prefix, e.getKey()), out);
        }
    }

    /**
     * All parameters keyed by dotted path, in PyTorch's {@code named_parameters()} order. A parameter registered
     * under several names (tied embeddings) appears once, under its first name, as PyTorch lists it, so counting,
     * freezing and optimising see it once.
     */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> all = new LinkedHashMap<>();
        collectParameters("", all);
        Map<String, Parameter> out = new LinkedHashMap<>();
        java.util.Set<Parameter> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        all.forEach((k, v) -> {
            if (seen.add(v)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            out.putIfAbsent(join(prefix, e.getKey()), e.getValue());
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectParameters(join(prefix, e.getKey()), out);
        }
    }

    /** All buffers keyed by dotted path. */
    public final Map<String, Buffer> namedBuffers() {
        Map<String, Buffer> out = new LinkedHashMap<>();
        collectBuffers("", out);
        return out;
    }

    private void collectBuffers(String prefix, Map<String, Buffer> out) {
        for (Map.Entry<String, Buffer> e : buffers.entrySet()) {
            out.put(join(prefix, e.getKey()), e.getValue());
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectBuffers(join(prefix, e.getKey()), out);
        }
    }

    /**
     * Parameters and persistent buffers keyed as PyTorch's {@code state_dict()} keys them (per module: its
     * parameters, its buffers, then its children). The arrays are the live tensors, not copies.
     */
    public final Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        collectState("", out);
        return out;
    }

    private void collectState(String prefix, Map<String, NDArray> out) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            out.put(join(prefix, e.getKey()), e.getValue().data());
        }
        for (Map.Entry<String, Buffer> e : buffers.entrySet()) {
            if (e.getValue().isPersistent()) {
                out.put(join(prefix, e.getKey()), e.getValue().data());
            }
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectState(join(prefix, e.getKey()), out);
        }
    }

    /**
     * Copies tensors into the parameters and persistent buffers of the same name. Every key is accounted for in
     * the report: loaded, missing from {@code weights}, unexpected in {@code weights}, or of another shape. With
     * {@code strict}, anything but a clean load throws a {@link StateDictException} that lists the problems and
     * nothing is changed.
     */
    public final LoadReport loadStateDict(Map<String, NDArray> weights, boolean strict) {
        // Every name of a tied parameter, so each key of the state dict finds its tensor.
        Map<String, Parameter> params = new LinkedHashMap<>();
        collectParameters("", params);
        Map<String, Buffer> bufs = new LinkedHashMap<>();
        namedBuffers().forEach((k, v) -> {
            if (v.isPersistent()) {
                bufs.put(k, v);
            }
        });
        List<String> loaded = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<LoadReport.Mismatch> mismatched = new ArrayList<>();
        Map<String, NDArray> own = stateDict();
        for (Map.Entry<String, NDArray> e : own.entrySet()) {
            NDArray src = weights.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!src.getShape().equals(e.getValue().getShape())) {
                mismatched.add(new LoadReport.Mismatch(e.getKey(), e.getValue().getShape(), src.getShape()));
            } else {
                loaded.add(e.getKey());
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : weights.keySet()) {
            if (!own.containsKey(k)) {
                unexpected.add(k);
            }
        }
        LoadReport report = new LoadReport(loaded, missing, unexpected, mismatched);
        if (strict && !report.isClean()) {
            throw new StateDictException(report.describe());
        }
        for (String k : loaded) {
            NDArray src = weights.get(k);
            Parameter p = params.get(k);
            if (p != null) {
                p.replace(src);
            } else {
                bufs.get(k).replace(src);
            }
        }
        return report;
    }

    /**
     * Converts every floating-point parameter and buffer to {@code type} (float64 to check numerics, float16 for
     * smaller inference); integer buffers stay as they are.
     */
    public final Module to(ai.djl.ndarray.types.DataType type) {
        for (Parameter p : namedParameters().values()) {
            if (p.data().getDataType().isFloating() && p.data().getDataType() != type) {
                p.convert(type);
            }
        }
        for (Buffer b : namedBuffers().values()) {
            if (b.data().getDataType().isFloating() && b.data().getDataType() != type) {
                b.convert(type);
            }
        }
        return this;
    }

    // ---------------------------------------------------------------- modes and freezing

    public final boolean isTraining() {
        return training;
    }

    /**
     * Sets training mode (dropout, drop path, batch statistics) here and below; a module held in eval mode (see
     * {@link #holdEval}) stays there.
     */
    public final Module train(boolean on) {
        training = on && !heldInEval;
        for (Module m : children.values()) {
            m.train(on);
        }
        return this;
    }

    public final Module eval() {
        return train(false);
    }

    /**
     * Keeps this module (not its children) in eval mode whatever {@link #train} later asks, or releases it: how a
     * fine-tuning method keeps a frozen base's BatchNorm statistics fixed while the rest of the model trains.
     */
    public final void holdEval(boolean hold) {
        heldInEval = hold;
        if (hold) {
            training = false;
        }
    }

    public final boolean isHeldInEval() {
        return heldInEval;
    }

    /** Freezes or unfreezes every parameter whose dotted name the predicate accepts; returns how many changed. */
    public final int setTrainable(Predicate<String> names, boolean trainable) {
        int n = 0;
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            if (names.test(e.getKey())) {
                e.getValue().setTrainable(trainable);
                n++;
            }
        }
        return n;
    }

    /** Freezes the parameters matching any of the patterns (see {@link NamePattern}). */
    public final int freeze(String... patterns) {
        return setTrainable(NamePattern.anyOf(patterns), false);
    }

    /** Unfreezes the parameters matching any of the patterns (see {@link NamePattern}). */
    public final int unfreeze(String... patterns) {
        return setTrainable(NamePattern.anyOf(patterns), true);
    }

    public final long parameterCount() {
        return namedParameters().values().stream().mapToLong(Parameter::size).sum();
    }

    public final long trainableParameterCount() {
        return namedParameters().values().stream().filter(Parameter::isTrainable).mapToLong(Parameter::size).sum();
    }

    /** Names of the trainable parameters, in order. */
    public final List<String> trainableParameterNames() {
        List<String> out = new ArrayList<>();
        namedParameters().forEach((k, v) -> {
            if (v.isTrainable()) {
                out.add(k);
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- helpers for subclasses

    /** Moves an array computed from a parameter into the manager of the activation it will meet. */
    protected static NDArray near(NDArray computed, NDArray activation) {
        NDManager m = activation.getManager();
        if (computed.getManager() != m) {
            computed.attach(m);
        }
        return computed;
    }

    private static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName();
    }
}
