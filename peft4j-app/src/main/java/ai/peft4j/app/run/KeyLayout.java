package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How the tensor names of a published checkpoint relate to peft4j's (which are the PyTorch models' own): saved as
 * they are, with the {@code module.} prefix that {@code nn.DataParallel} adds, or an ImageNet backbone checkpoint
 * whose keys the published training loads under the segmenter's backbone: {@code swin_backbone.} in TP-LoRA's
 * Swin-Att-UNet (REFERENCE.md 1.1), {@code common_backbone.} in FastSegFormer and its teacher (2.2).
 *
 * @param name what the layout is, for messages
 * @param strip a prefix removed from the keys that have it ("" for none)
 * @param add a prefix put before every key ("" for none)
 */
public record KeyLayout(String name, String strip, String add) {
    private static final KeyLayout AS_SAVED = new KeyLayout("as saved", "", "");

    /** The layouts tried, the plain one first so that it wins ties. */
    public static final List<KeyLayout> KNOWN = known();

    /**
     * A layout with the number of file keys it maps onto model keys.
     *
     * @param layout the layout
     * @param matched file keys whose mapped name the model has
     * @param fileKeys the file's key count
     * @param modelKeys the model's key count
     */
    public record Match(KeyLayout layout, int matched, int fileKeys, int modelKeys) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d of the file's %d keys match the model's %d", layout.name,
                    matched, fileKeys, modelKeys);
        }
    }

    private static List<KeyLayout> known() {
        List<KeyLayout> out = new ArrayList<>();
        out.add(AS_SAVED);
        out.add(new KeyLayout("nn.DataParallel ('module.' removed)", "module.", ""));
        for (String backbone : List.of("swin_backbone.", "common_backbone.")) {
            out.add(new KeyLayout("backbone checkpoint (keys under '" + backbone + "')", "", backbone));
            out.add(new KeyLayout("nn.DataParallel backbone checkpoint ('module.' removed, keys under '" + backbone
                    + "')", "module.", backbone));
        }
        return List.copyOf(out);
    }

    public boolean isAsSaved() {
        return strip.isEmpty() && add.isEmpty();
    }

    /** The model's name for a file key. */
    public String map(String key) {
        String k = !strip.isEmpty() && key.startsWith(strip) ? key.substring(strip.length()) : key;
        return add + k;
    }

    /** The tensors under the model's names, in file order; keys that would collide keep the first. */
    public Map<String, NDArray> apply(Map<String, NDArray> tensors) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.putIfAbsent(map(k), v));
        return out;
    }

    /** Every known layout's match, best first (ties keep {@link #KNOWN}'s order). */
    public static List<Match> rank(Set<String> fileKeys, Set<String> modelKeys) {
        List<Match> out = new ArrayList<>();
        for (KeyLayout l : KNOWN) {
            int n = 0;
            for (String k : fileKeys) {
                if (modelKeys.contains(l.map(k))) {
                    n++;
                }
            }
            out.add(new Match(l, n, fileKeys.size(), modelKeys.size()));
        }
        out.sort((a, b) -> Integer.compare(b.matched, a.matched));
        return out;
    }

    /** The layout that maps the most file keys onto model keys; the plain one when none maps any. */
    public static Match best(Set<String> fileKeys, Set<String> modelKeys) {
        Match top = rank(fileKeys, modelKeys).get(0);
        return top.matched > 0 ? top : new Match(AS_SAVED, 0, fileKeys.size(), modelKeys.size());
    }
}
