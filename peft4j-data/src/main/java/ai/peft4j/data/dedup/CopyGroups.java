package ai.peft4j.data.dedup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The images of a data set grouped so that copies of one photo share a group: the connected parts of the graph
 * whose edges are the confirmed copy pairs (so a copy of a copy joins the group too).
 *
 * @param groups every group, singletons included, each in id order, ordered by their first id
 */
public record CopyGroups(List<List<String>> groups) {
    public CopyGroups {
        groups = groups.stream().map(List::copyOf).toList();
    }

    /** Groups {@code ids} by {@code pairs} (union-find with path halving). */
    public static CopyGroups of(List<String> ids, List<CopyPair> pairs) {
        Map<String, Integer> index = new HashMap<>();
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(null);
        for (String id : sorted) {
            if (index.put(id, index.size()) != null) {
                throw new IllegalArgumentException("image ids must be unique to be grouped; '" + id + "' repeats");
            }
        }
        int[] parent = new int[sorted.size()];
        for (int i = 0; i < parent.length; i++) {
            parent[i] = i;
        }
        for (CopyPair p : pairs) {
            int a = root(parent, position(index, p.first()));
            int b = root(parent, position(index, p.second()));
            // The smaller index stays the root, so each group is named by its first id.
            parent[Math.max(a, b)] = Math.min(a, b);
        }
        Map<Integer, List<String>> byRoot = new TreeMap<>();
        for (int i = 0; i < parent.length; i++) {
            byRoot.computeIfAbsent(root(parent, i), k -> new ArrayList<>()).add(sorted.get(i));
        }
        return new CopyGroups(new ArrayList<>(byRoot.values()));
    }

    /** The groups of two or more images. */
    public List<List<String>> copies() {
        return groups.stream().filter(g -> g.size() > 1).toList();
    }

    private static int position(Map<String, Integer> index, String id) {
        Integer i = index.get(id);
        if (i == null) {
            throw new IllegalArgumentException("copy pair names '" + id + "', which is not among the ids grouped");
        }
        return i;
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
}
