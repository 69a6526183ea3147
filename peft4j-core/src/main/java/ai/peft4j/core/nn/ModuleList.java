package ai.peft4j.core.nn;

import java.util.ArrayList;
import java.util.List;

/** An indexed list of modules ({@code blocks.0}, {@code blocks.1}, ...) that its owner runs as it needs. */
public class ModuleList<M extends Module> extends Module {
    private final Class<M> type;
    private int size;

    public ModuleList(Class<M> type) {
        this.type = type;
    }

    public final ModuleList<M> add(M module) {
        registerModule(Integer.toString(size++), module);
        return this;
    }

    public int size() {
        return size;
    }

    /** The module at {@code index}, which may have been replaced by a method since it was added. */
    public M get(int index) {
        Module m = child(Integer.toString(index));
        if (!type.isInstance(m)) {
            throw new IllegalStateException("element " + index + " is a " + m.getClass().getSimpleName()
                    + ", not a " + type.getSimpleName());
        }
        return type.cast(m);
    }

    public List<M> asList() {
        List<M> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(get(i));
        }
        return out;
    }
}
