package ai.peft4j.peft;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Module;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Several adapters on one base model, one active at a time: one per product line, switched without reloading the
 * base. Switching detaches the active adapter's modules and hooks and attaches the other's: no weights are read or
 * copied except the few base parameters a method trains (BitFit's biases).
 */
public final class AdapterSet {
    private final Module base;
    private final Map<String, Attachment> adapters = new LinkedHashMap<>();
    private String active;

    public AdapterSet(Module base) {
        this.base = base;
    }

    public Module model() {
        return base;
    }

    /** Attaches a new adapter under {@code name} and makes it the active one. */
    public Attachment add(String name, PeftMethod method) {
        requireNew(name);
        deactivateAll();
        Attachment a = method.attach(base);
        adapters.put(name, a);
        active = name;
        return a;
    }

    /** Loads an adapter directory under {@code name} and makes it the active one. */
    public Attachment load(String name, Path dir, NDManager manager) throws IOException {
        requireNew(name);
        deactivateAll();
        Attachment a = AdapterFiles.load(dir, base, manager);
        adapters.put(name, a);
        active = name;
        return a;
    }

    /**
     * Loads an adapter directory under {@code name} with {@code options} (refusing another base unless forced) and
     * makes it the active one; on failure no adapter is active and the set is as before.
     */
    public Attachment load(String name, Path dir, NDManager manager, AdapterFiles.LoadOptions options)
            throws IOException {
        requireNew(name);
        deactivateAll();
        Attachment a = AdapterFiles.load(dir, base, manager, options);
        adapters.put(name, a);
        active = name;
        return a;
    }

    /**
     * Takes the adapter {@code name} off the base for good and frees its arrays (the base runs alone if it was
     * active).
     */
    public void remove(String name) {
        Attachment a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "' (have: " + adapters.keySet() + ")");
        }
        if (name.equals(active)) {
            deactivateAll();
        }
        adapters.remove(name);
        a.close();
    }

    /** Makes {@code name} the active adapter. */
    public void activate(String name) {
        Attachment a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "' (have: " + adapters.keySet() + ")");
        }
        if (name.equals(active)) {
            return;
        }
        deactivateAll();
        a.activate();
        a.markTrainable();
        active = name;
    }

    /** Back to the plain base model. */
    public void deactivateAll() {
        if (active != null) {
            adapters.get(active).deactivate();
            active = null;
        }
    }

    /** The active adapter's name, or null when the base model runs alone. */
    public String active() {
        return active;
    }

    public Attachment get(String name) {
        return adapters.get(name);
    }

    public Set<String> names() {
        return adapters.keySet();
    }

    private void requireNew(String name) {
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("an adapter named '" + name + "' is already loaded");
        }
    }
}
