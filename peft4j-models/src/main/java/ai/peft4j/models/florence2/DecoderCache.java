package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder's keys and values during generation ({@code past_key_values}): per layer those of the tokens decoded
 * so far (self-attention) and those of the encoder's states (cross-attention), {@code [B, heads, S, headDim]}, so
 * each step runs the decoder on the new token only. Beam search reorders the rows as beams are chosen.
 */
public final class DecoderCache {
    private final List<Entry> self = new ArrayList<>();
    private final List<Entry> cross = new ArrayList<>();
    private long length;

    public DecoderCache(int layers) {
        for (int i = 0; i < layers; i++) {
            self.add(new Entry());
            cross.add(new Entry());
        }
    }

    /** One attention layer's keys and values. */
    public static final class Entry {
        NDArray keys;
        NDArray values;

        // Generation holds no gradient, so the previous step's arrays can be freed at once; otherwise a long
        // answer would keep every prefix's keys alive until the end.
        void replace(NDArray k, NDArray v) {
            if (keys != null && keys != k) {
                keys.close();
                values.close();
            }
            keys = k;
            values = v;
        }
    }

    Entry self(int layer) {
        return self.get(layer);
    }

    Entry cross(int layer) {
        return cross.get(layer);
    }

    /** Tokens decoded so far. */
    public long length() {
        return length;
    }

    void advance(long tokens) {
        length += tokens;
    }

    /** Keeps, for each new row, the cached row {@code rows[i]} (a beam's source beam). */
    public void reorder(long[] rows, NDManager manager) {
        NDArray index = manager.create(rows);
        for (List<Entry> entries : List.of(self, cross)) {
            for (Entry e : entries) {
                if (e.keys != null) {
                    e.replace(e.keys.get(index), e.values.get(index));
                }
            }
        }
        index.close();
    }

    /** Moves the cached arrays into {@code manager}, so a step's manager can be closed without freeing them. */
    public void keepIn(NDManager manager) {
        for (List<Entry> entries : List.of(self, cross)) {
            for (Entry e : entries) {
                if (e.keys != null) {
                    e.keys.attach(manager);
                    e.values.attach(manager);
                }
            }
        }
    }
}
