package ai.peft4j.core.pickle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A Python tuple from a pickle; items may be null (None). */
public record Tuple(List<Object> items) {
    public Tuple {
        items = Collections.unmodifiableList(new ArrayList<>(items));
    }

    public int size() {
        return items.size();
    }

    public Object get(int i) {
        return items.get(i);
    }
}
