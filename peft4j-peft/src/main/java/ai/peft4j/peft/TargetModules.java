package ai.peft4j.peft;

import ai.peft4j.core.nn.Module;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Which modules a method adapts, by name, with HF PEFT's meaning of {@code target_modules}: either a list of names
 * that match a module whose dotted path equals one of them or ends with {@code "." + name} ({@code qkv} matches
 * {@code blocks.0.attn.qkv} but not {@code blocks.0.attn.to_qkv}), or one regular expression that must match the
 * whole path. The string {@code all-linear} stands, as in HF, for the names of all Linear modules.
 *
 * @param names the names matched at a dot boundary; empty when {@code regex} is set
 * @param regex a regular expression matched against the whole path, or null
 */
public record TargetModules(List<String> names, String regex) implements Predicate<String> {

    public TargetModules {
        names = List.copyOf(names);
        if (regex == null && names.isEmpty()) {
            throw new IllegalArgumentException("no target modules given: name the modules to adapt, e.g. qkv, proj");
        }
        if (regex != null && !names.isEmpty()) {
            throw new IllegalArgumentException("target modules are either names or one regular expression, not both");
        }
        if (regex != null) {
            Pattern.compile(regex);
        }
    }

    /** As HF's {@code target_modules} in JSON: a list of names, or one regular expression as a string. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TargetModules fromJson(Object value) {
        if (value instanceof String regex) {
            return matching(regex);
        }
        if (value instanceof List<?> list) {
            return new TargetModules(list.stream().map(String::valueOf).toList(), null);
        }
        throw new IllegalArgumentException("target_modules must be a list of names or a regular expression, got "
                + value);
    }

    @JsonValue
    public Object toJson() {
        return regex != null ? regex : names;
    }

    /** Modules whose path is one of {@code names} or ends with {@code "." + name}. */
    public static TargetModules named(String... names) {
        return new TargetModules(List.of(names), null);
    }

    /** HF's {@code "all-linear"}: every Linear, by its last name (for models outside transformers, heads too). */
    public static final String ALL_LINEAR = "all-linear";

    /** Modules whose whole path matches {@code regex}. */
    public static TargetModules matching(String regex) {
        return new TargetModules(List.of(), regex);
    }

    /** Whether a path matches the names or the regex ({@code all-linear} needs the model: see {@link #find}). */
    @Override
    public boolean test(String path) {
        if (regex != null) {
            return Pattern.compile(regex).matcher(path).matches();
        }
        for (String n : names) {
            if (path.equals(n) || path.endsWith("." + n)) {
                return true;
            }
        }
        return false;
    }

    /** Paths of the modules of {@code model} that match, in {@code named_modules()} order (the root excluded). */
    public List<String> find(Module model) {
        if (regex != null && regex.equalsIgnoreCase(ALL_LINEAR)) {
            // HF expands the shorthand to the last names of the Linear modules, which may match other kinds too.
            java.util.Set<String> names = new java.util.LinkedHashSet<>();
            model.namedModules().forEach((path, m) -> {
                if (m instanceof ai.peft4j.core.nn.Linear) {
                    names.add(path.substring(path.lastIndexOf('.') + 1));
                }
            });
            return names.isEmpty() ? List.of() : new TargetModules(List.copyOf(names), null).find(model);
        }
        List<String> out = new ArrayList<>();
        for (String path : model.namedModules().keySet()) {
            if (!path.isEmpty() && test(path)) {
                out.add(path);
            }
        }
        return out;
    }

    /**
     * Like {@link #find}, but fails when nothing matches, naming a few modules of the kinds the method can adapt so
     * the user can correct the pattern.
     */
    public List<String> require(Module model, String method, Class<?>... adaptable) {
        List<String> found = find(model);
        if (found.isEmpty()) {
            List<String> examples = new ArrayList<>();
            for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
                boolean kind = adaptable.length == 0;
                for (Class<?> c : adaptable) {
                    kind |= c.isInstance(e.getValue());
                }
                if (kind && !e.getKey().isEmpty() && examples.size() < 8) {
                    examples.add(e.getKey());
                }
            }
            throw new IllegalArgumentException(method + " target_modules " + this + " match no module of this "
                    + model.getClass().getSimpleName() + "; modules it could adapt include " + examples);
        }
        return found;
    }

    @Override
    public String toString() {
        return regex != null ? "'" + regex + "' (regex)" : names.toString();
    }
}
