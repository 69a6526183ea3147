package ai.peft4j.peft;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Buffer;
import ai.peft4j.core.nn.ForwardHook;
import ai.peft4j.core.nn.ForwardPreHook;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.PrefixTokenHost;
import ai.peft4j.core.nn.PrefixTokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What attaching a method to a model did: modules and parameters added under existing ones, forward hooks (on
 * outputs, on inputs, and prefix tokens of attention modules), modules swapped for
 * the adapter's own copies (a task head with other classes), and which base parameters train. It can be
 * deactivated and activated again, which removes and restores all of that without touching the base weights, so
 * several adapters share one base model and switch in microseconds.
 *
 * <p>The base's BatchNorm layers are held in eval mode while the adapter is active ({@link BnStats#FROZEN}), or
 * their running statistics belong to the adapter like trained base parameters ({@link BnStats#UPDATE}).
 */
public final class Attachment {
    private final Module model;
    private final PeftMethod method;
    private final List<Added> added = new ArrayList<>();
    private final List<AddedParameter> addedParameters = new ArrayList<>();
    private final List<Hooked> hooks = new ArrayList<>();
    private final List<Swapped> swapped = new ArrayList<>();
    private final List<Predicate<String>> trainsBase = new ArrayList<>();
    /** Values of trained base parameters: the adapter's own while inactive, the originals while active. */
    private final Map<String, NDArray> parked = new LinkedHashMap<>();
    /** The base's BatchNorm layers kept in eval mode while active ({@link BnStats#FROZEN}). */
    private final List<Module> heldInEval = new ArrayList<>();
    /** Running statistics of base BatchNorm layers that belong to the adapter ({@link BnStats#UPDATE}). */
    private final List<String> trainedBuffers = new ArrayList<>();
    private String baseFingerprint;
    private boolean active;
    private volatile boolean enabled = true;

    private record Added(String owner, String name, Module module) {}

    private record AddedParameter(String owner, String name, Parameter parameter) {}

    /** A hook of any kind on the module at {@code path}: how to put it on (again) and the handle to take it off. */
    private static final class Hooked {
        final String path;
        final java.util.function.Function<Module, Module.HookHandle> install;
        Module.HookHandle handle;

        Hooked(String path, java.util.function.Function<Module, Module.HookHandle> install) {
            this.path = path;
            this.install = install;
        }
    }

    private static final class Swapped {
        final String path;
        final Predicate<String> own;
        Module mine;
        Module original;

        Swapped(String path, Module mine, Predicate<String> own) {
            this.path = path;
            this.mine = mine;
            this.own = own;
        }
    }

    public Attachment(Module model, PeftMethod method) {
        this.model = model;
        this.method = method;
        this.active = true;
    }

    public PeftMethod method() {
        return method;
    }

    public Module model() {
        return model;
    }

    // ---------------------------------------------------------------- building (by methods)

    /** Adds {@code module} as child {@code name} of the module at {@code ownerPath} ({@code ""} is the root). */
    public <M extends Module> M addModule(String ownerPath, String name, M module) {
        Module owner = model.module(ownerPath);
        if (owner.hasChild(name)) {
            throw new IllegalStateException("'" + join(ownerPath, name) + "' already exists: detach the adapter "
                    + "that added it first");
        }
        owner.addModule(name, module);
        added.add(new Added(ownerPath, name, module));
        return module;
    }

    /**
     * Adds a parameter named {@code name} to the module at {@code ownerPath}, as the published code declares a
     * prompt tensor directly on a module; it belongs to the adapter.
     */
    public Parameter addParameter(String ownerPath, String name, NDArray data) {
        Module owner = model.module(ownerPath);
        if (owner.hasParameter(name) || owner.hasChild(name)) {
            throw new IllegalStateException("'" + join(ownerPath, name) + "' already exists: detach the adapter "
                    + "that added it first");
        }
        Parameter p = owner.addParameter(name, new Parameter(data));
        addedParameters.add(new AddedParameter(ownerPath, name, p));
        return p;
    }

    /** Hooks the output of the module at {@code path}; the hook is skipped while the adapter is disabled. */
    public void addHook(String path, ForwardHook hook) {
        // A method's hook computes from the module's input and the method's weights and keeps nothing.
        ForwardHook guarded = new ForwardHook() {
            @Override
            public NDArray apply(Module m, Object[] in, NDArray out) {
                return enabled ? hook.apply(m, in, out) : out;
            }

            @Override
            public boolean isStateless() {
                return true;
            }
        };
        install(new Hooked(path, m -> m.addForwardHook(guarded)));
    }

    /** Hooks the input of the one-input layer at {@code path}; skipped while the adapter is disabled. */
    public void addPreHook(String path, ForwardPreHook hook) {
        ForwardPreHook guarded = new ForwardPreHook() {
            @Override
            public NDArray apply(Module m, NDArray in) {
                return enabled ? hook.apply(m, in) : in;
            }

            @Override
            public boolean isStateless() {
                return true;
            }
        };
        install(new Hooked(path, m -> m.addForwardPreHook(guarded)));
    }

    /** Gives the attention module at {@code path} prefix tokens; none while the adapter is disabled. */
    public void addPrefixTokens(String path, PrefixTokens tokens) {
        if (!(model.module(path) instanceof PrefixTokenHost)) {
            throw new IllegalArgumentException("'" + path + "' is a " + model.module(path) + ", which cannot take "
                    + "prefix tokens (an attention module that implements PrefixTokenHost can)");
        }
        PrefixTokens guarded = in -> enabled ? tokens.tokens(in) : null;
        install(new Hooked(path, m -> ((PrefixTokenHost) m).addPrefixTokens(guarded)));
    }

    private void install(Hooked h) {
        h.handle = h.install.apply(model.module(h.path));
        hooks.add(h);
    }

    /** Puts {@code mine} in place of the module at {@code path} while this adapter is active. */
    public <M extends Module> M swapModule(String path, M mine) {
        return swapModule(path, mine, name -> true);
    }

    /**
     * Like {@link #swapModule(String, Module)} for a module that also holds base modules (a longer block list that
     * keeps the original blocks): only its parameters whose names, relative to {@code mine}, {@code own} accepts
     * belong to the adapter (train, and go into its state dict).
     */
    public <M extends Module> M swapModule(String path, M mine, Predicate<String> own) {
        Swapped s = new Swapped(path, mine, own);
        s.original = model.replace(path, mine);
        swapped.add(s);
        return mine;
    }

    /** Base parameters (by dotted name) that this method trains besides its own modules. */
    public void trainBase(Predicate<String> names) {
        trainsBase.add(names);
    }

    // ---------------------------------------------------------------- use

    /** Freezes the model except this adapter's modules and the base parameters the method trains. */
    public void markTrainable() {
        requireActive();
        Set<String> own = Set.copyOf(ownParameterNames());
        model.namedParameters().forEach((name, p) -> p.setTrainable(own.contains(name) || trainsBaseParameter(name)));
    }

    private boolean trainsBaseParameter(String name) {
        return trainsBase.stream().anyMatch(p -> p.test(name));
    }

    /** Dotted names of the parameters of the modules this adapter added or swapped in. */
    public List<String> ownParameterNames() {
        List<String> out = new ArrayList<>();
        for (Added a : added) {
            String prefix = join(a.owner, a.name);
            a.module.namedParameters().keySet().forEach(k -> out.add(prefix + "." + k));
        }
        for (AddedParameter p : addedParameters) {
            out.add(join(p.owner, p.name));
        }
        for (Swapped s : swapped) {
            s.mine.namedParameters().keySet().stream().filter(s.own).forEach(k -> out.add(s.path + "." + k));
        }
        return out;
    }

    /**
     * The tensors an adapter file holds: the parameters of this adapter's modules, the trained base parameters and,
     * with {@link BnStats#UPDATE}, the base's BatchNorm statistics, keyed by their names in the model. Live
     * tensors, not copies.
     */
    public Map<String, NDArray> stateDict() {
        requireActive();
        Map<String, NDArray> out = new LinkedHashMap<>();
        Set<String> own = Set.copyOf(ownParameterNames());
        model.namedParameters().forEach((name, p) -> {
            if (own.contains(name) || trainsBaseParameter(name)) {
                out.put(name, p.data());
            }
        });
        Map<String, Buffer> buffers = model.namedBuffers();
        for (String name : trainedBuffers) {
            out.put(name, buffers.get(name).data());
        }
        return out;
    }

    /** Copies {@code tensors} (checked against {@link #stateDict()}'s names and shapes) into the model. */
    public void loadStateDict(Map<String, NDArray> tensors) {
        requireActive();
        Map<String, Parameter> params = model.namedParameters();
        Map<String, Buffer> buffers = model.namedBuffers();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            Parameter p = params.get(e.getKey());
            if (p != null) {
                p.replace(e.getValue());
            } else {
                buffers.get(e.getKey()).replace(e.getValue());
            }
        }
    }

    /**
     * The content fingerprint of the base model this adapter sits on, as it is without the adapter (see
     * {@link BaseFingerprint}). Computed once per attachment: the adapter is taken off for the hash and put back.
     */
    public String baseFingerprint() {
        if (baseFingerprint == null) {
            boolean wasActive = active;
            deactivate();
            try {
                baseFingerprint = BaseFingerprint.of(model);
            } finally {
                if (wasActive) {
                    activate();
                }
            }
        }
        return baseFingerprint;
    }

    /** Parameters of the base model alone: as it is when this adapter is not active. */
    public long baseParameterCount() {
        long n = model.parameterCount();
        if (!active) {
            return n;
        }
        for (Added a : added) {
            n -= a.module.parameterCount();
        }
        for (AddedParameter p : addedParameters) {
            n -= p.parameter.size();
        }
        for (Swapped s : swapped) {
            n += s.original.parameterCount() - s.mine.parameterCount();
        }
        return n;
    }

    /** Turns the adapter's effect off (hooks pass outputs through) without removing anything. */
    public void setEnabled(boolean on) {
        this.enabled = on;
    }

    public boolean isEnabled() {
        return enabled;
    }

    public boolean isActive() {
        return active;
    }

    /**
     * Removes this adapter's modules and hooks, restores swapped modules and the original values of the base
     * parameters it trained (keeping its own values for {@link #activate}); the base model is as before.
     */
    public void deactivate() {
        if (!active) {
            return;
        }
        exchangeBaseValues();
        for (Module m : heldInEval) {
            m.holdEval(false);
        }
        for (Hooked h : hooks) {
            h.handle.remove();
        }
        for (int i = swapped.size() - 1; i >= 0; i--) {
            Swapped s = swapped.get(i);
            s.mine = model.replace(s.path, s.original);
        }
        for (int i = added.size() - 1; i >= 0; i--) {
            Added a = added.get(i);
            model.module(a.owner).removeModule(a.name);
        }
        for (int i = addedParameters.size() - 1; i >= 0; i--) {
            AddedParameter p = addedParameters.get(i);
            model.module(p.owner).removeParameter(p.name);
        }
        active = false;
    }

    /** Puts this adapter's modules and hooks back (after {@link #deactivate}). */
    public void activate() {
        if (active) {
            return;
        }
        for (Added a : added) {
            Module owner = model.module(a.owner);
            if (owner.hasChild(a.name)) {
                throw new IllegalStateException("'" + join(a.owner, a.name) + "' is taken: deactivate the other "
                        + "adapter first");
            }
            owner.addModule(a.name, a.module);
        }
        for (AddedParameter p : addedParameters) {
            Module owner = model.module(p.owner);
            if (owner.hasParameter(p.name)) {
                throw new IllegalStateException("'" + join(p.owner, p.name) + "' is taken: deactivate the other "
                        + "adapter first");
            }
            owner.addParameter(p.name, p.parameter);
        }
        for (Swapped s : swapped) {
            s.original = model.replace(s.path, s.mine);
        }
        for (Hooked h : hooks) {
            h.handle = h.install.apply(model.module(h.path));
        }
        for (Module m : heldInEval) {
            m.holdEval(true);
        }
        exchangeBaseValues();
        active = true;
    }

    /**
     * Frees the engine memory of an inactive adapter that will not be used again: the arrays of the modules and
     * parameters it added or swapped in, and the values it keeps for the base parameters it trains. A service that
     * unloads adapters calls this, or each load would leave them behind. The base model is untouched.
     */
    public void close() {
        if (active) {
            throw new IllegalStateException("adapter " + method.name() + " is active: deactivate it before closing");
        }
        for (Added a : added) {
            a.module.namedParameters().values().forEach(p -> p.data().close());
            a.module.namedBuffers().values().forEach(b -> b.data().close());
        }
        for (AddedParameter p : addedParameters) {
            p.parameter.data().close();
        }
        for (Swapped s : swapped) {
            // Only its own parameters: a swapped-in module may hold the base's modules too (block expansion).
            s.mine.namedParameters().forEach((k, p) -> {
                if (s.own.test(k)) {
                    p.data().close();
                }
            });
        }
        parked.values().forEach(NDArray::close);
        parked.clear();
    }

    /**
     * The last step of the attach template: holds the base's BatchNorm layers in eval mode or takes over their
     * statistics, keeps a copy of the base values the adapter will change, and freezes the rest.
     */
    void complete() {
        Map<String, Module> modules = model.namedModules();
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            if (!(e.getValue() instanceof BatchNorm2d bn) || !isBase(e.getKey())) {
                continue;
            }
            if (method.bnStats() == BnStats.FROZEN) {
                bn.holdEval(true);
                heldInEval.add(bn);
            } else {
                bn.namedBuffers().forEach((k, b) -> {
                    if (b.isPersistent()) {
                        trainedBuffers.add(join(e.getKey(), k));
                    }
                });
            }
        }
        Set<String> own = Set.copyOf(ownParameterNames());
        model.namedParameters().forEach((name, p) -> {
            if (!own.contains(name) && trainsBaseParameter(name)) {
                parked.put(name, p.data().duplicate());
            }
        });
        Map<String, Buffer> buffers = model.namedBuffers();
        for (String name : trainedBuffers) {
            parked.put(name, buffers.get(name).data().duplicate());
        }
        markTrainable();
    }

    /** Whether the module at {@code path} belongs to the base model rather than to this adapter. */
    private boolean isBase(String path) {
        for (Added a : added) {
            String p = join(a.owner, a.name);
            if (path.equals(p) || path.startsWith(p + ".")) {
                return false;
            }
        }
        for (Swapped s : swapped) {
            if (path.equals(s.path)) {
                return false;
            }
            if (path.startsWith(s.path + ".") && s.own.test(path.substring(s.path.length() + 1) + ".weight")) {
                return false;
            }
        }
        return true;
    }

    /** Swaps the live values of trained base parameters and statistics with the parked ones. */
    private void exchangeBaseValues() {
        if (parked.isEmpty()) {
            return;
        }
        Map<String, Parameter> params = model.namedParameters();
        Map<String, Buffer> buffers = model.namedBuffers();
        for (Map.Entry<String, NDArray> e : parked.entrySet()) {
            Parameter p = params.get(e.getKey());
            Buffer b = p == null ? buffers.get(e.getKey()) : null;
            NDArray live = (p != null ? p.data() : b.data()).duplicate();
            if (p != null) {
                p.replace(e.getValue());
            } else {
                b.replace(e.getValue());
            }
            e.getValue().close();
            e.setValue(live);
        }
    }

    private void requireActive() {
        if (!active) {
            throw new IllegalStateException("adapter " + method.name() + " is not active");
        }
    }

    static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }
}
