package ai.peft4j.peft;

import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuning method with its settings, e.g. LoRA of rank 8 on the window attentions. Attaching it to a model
 * adds its modules and hooks and says which parameters train.
 *
 * <p>Every method attaches through one template, {@link #attach}, as HF PEFT's {@code inject_adapter} does: find
 * the targets, check them, add the method's modules, hooks and trained base parameters, then park the base values
 * the adapter will change and freeze the rest. Any failure on the way removes what was added, so a failed attach
 * leaves the model exactly as it was.
 */
public abstract class PeftMethod {
    private BnStats bnStats;

    /** The method's one name, as the registry, adapter files and the command line spell it, e.g. {@code lora}. */
    public abstract String name();

    /** The method's settings: a record that {@link MethodRegistry} writes to and reads from adapter files. */
    public abstract Record config();

    /** Settings as flat key/value pairs for reports: the config's fields under their file names. */
    public Map<String, Object> settings() {
        return new LinkedHashMap<>(MethodRegistry.settingsOf(config()));
    }

    /** What happens to the base model's BatchNorm statistics while the adapter trains. */
    public BnStats bnStats() {
        return bnStats != null ? bnStats : defaultBnStats();
    }

    /** Chooses what happens to the base's BatchNorm statistics; see {@link BnStats}. */
    public PeftMethod withBnStats(BnStats stats) {
        this.bnStats = stats;
        return this;
    }

    /** Parameter-efficient methods keep the base's statistics; full fine-tuning overrides this. */
    protected BnStats defaultBnStats() {
        return BnStats.FROZEN;
    }

    /**
     * Attaches to {@code model} and activates the result. Fails with a clear message when the model lacks the
     * modules the method targets, leaving the model's parameters, modules, hooks and trainable flags as they were.
     */
    public final Attachment attach(Module model) {
        List<String> targets = findTargets(model);
        check(model, targets);
        Map<String, Boolean> trainable = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> trainable.put(k, p.isTrainable()));
        Attachment a = new Attachment(model, this);
        try {
            addTo(a, targets);
            a.complete();
        } catch (RuntimeException | Error e) {
            a.deactivate(); // no half-attached adapter stays behind
            Map<String, Parameter> params = model.namedParameters();
            trainable.forEach((k, on) -> params.get(k).setTrainable(on));
            throw e;
        }
        return a;
    }

    /** Finds the paths of the modules the method adapts; fails, naming what the model offers, when there are none. */
    protected abstract List<String> findTargets(Module model);

    /** Checks the targets before anything is changed (kinds, sizes); the default accepts them. */
    protected void check(Module model, List<String> targets) {}

    /**
     * Adds the method's modules, parameters and hooks through {@code a}, and names the base parameters that train
     * ({@link Attachment#trainBase}). Freezing and parking are the template's.
     */
    protected abstract void addTo(Attachment a, List<String> targets);
}
