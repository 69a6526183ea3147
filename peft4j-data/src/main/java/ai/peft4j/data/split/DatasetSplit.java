package ai.peft4j.data.split;

import ai.peft4j.core.state.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A partition of sample ids into train, val and test, each in the order of the ids it was made from.
 *
 * @param train ids to train on
 * @param val ids to validate on
 * @param test ids held out
 */
public record DatasetSplit(List<String> train, List<String> val, List<String> test) {
    public DatasetSplit {
        train = List.copyOf(train);
        val = List.copyOf(val);
        test = List.copyOf(test);
    }

    /**
     * Splits as the published {@code dataset_split.py}: {@code trainval = int(n * trainval%)} ids drawn at random,
     * {@code train = int(trainval * train%)} of those drawn again, val the rest of trainval, test the complement.
     * The draws use {@link java.util.Random} (its algorithm is fixed by the Java specification), so one seed gives
     * one split on every machine; the ids are sorted first so that directory order does not matter.
     */
    public static DatasetSplit of(List<String> ids, SplitRatios ratios, long seed) {
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(null);
        if (new HashSet<>(sorted).size() != sorted.size()) {
            throw new IllegalArgumentException("sample ids must be unique to be split");
        }
        int n = sorted.size();
        int trainval = (int) (n * ratios.trainvalFraction());
        int train = (int) (trainval * ratios.trainFractionOfTrainval());
        Random random = new Random(seed);
        int[] all = sample(n, random);
        boolean[] inTrainval = new boolean[n];
        for (int i = 0; i < trainval; i++) {
            inTrainval[all[i]] = true;
        }
        // Second draw among the trainval positions, in id order, as the script samples from its trainval list.
        int[] tvIndex = new int[trainval];
        for (int i = 0, k = 0; i < n; i++) {
            if (inTrainval[i]) {
                tvIndex[k++] = i;
            }
        }
        int[] order = sample(trainval, random);
        boolean[] inTrain = new boolean[n];
        for (int i = 0; i < train; i++) {
            inTrain[tvIndex[order[i]]] = true;
        }
        List<String> tr = new ArrayList<>();
        List<String> va = new ArrayList<>();
        List<String> te = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (inTrain[i] ? tr : inTrainval[i] ? va : te).add(sorted.get(i));
        }
        return new DatasetSplit(tr, va, te);
    }

    /**
     * Splits groups of ids (e.g. the copies of one photo) so that each group lands whole in one list: the groups,
     * named by their first id, are drawn by {@link #of}'s rule, so the ratios count groups, not ids. Each list is in
     * id order.
     */
    public static DatasetSplit grouped(List<List<String>> groups, SplitRatios ratios, long seed) {
        Map<String, List<String>> byName = new LinkedHashMap<>();
        for (List<String> group : groups) {
            if (group.isEmpty()) {
                throw new IllegalArgumentException("a group to split is empty");
            }
            List<String> members = new ArrayList<>(group);
            members.sort(null);
            if (byName.put(members.get(0), members) != null) {
                throw new IllegalArgumentException("sample id '" + members.get(0) + "' is in two groups");
            }
        }
        DatasetSplit byGroup = of(new ArrayList<>(byName.keySet()), ratios, seed);
        List<List<String>> expanded = new ArrayList<>();
        for (List<String> names : List.of(byGroup.train, byGroup.val, byGroup.test)) {
            List<String> ids = new ArrayList<>();
            for (String name : names) {
                ids.addAll(byName.get(name));
            }
            ids.sort(null);
            expanded.add(ids);
        }
        if (new HashSet<>(concat(expanded)).size() != concat(expanded).size()) {
            throw new IllegalArgumentException("groups to split overlap: a sample id is in two groups");
        }
        return new DatasetSplit(expanded.get(0), expanded.get(1), expanded.get(2));
    }

    private static List<String> concat(List<List<String>> lists) {
        List<String> all = new ArrayList<>();
        lists.forEach(all::addAll);
        return all;
    }

    /** Train and val together in id order, as the published {@code trainval.txt}. */
    public List<String> trainval() {
        List<String> all = new ArrayList<>(train.size() + val.size());
        all.addAll(train);
        all.addAll(val);
        all.sort(null);
        return all;
    }

    /** The four lists by their file stems: train, val, test, trainval. */
    public Map<String, List<String>> lists() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("train", train);
        m.put("val", val);
        m.put("test", test);
        m.put("trainval", trainval());
        return m;
    }

    /**
     * Writes {@code train.txt}, {@code val.txt}, {@code test.txt} and {@code trainval.txt}, each atomically. Every
     * id is checked before the first file is written, so an id a list cannot hold leaves the folder as it was.
     */
    public void write(Path directory) throws IOException {
        Map<String, byte[]> texts = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : lists().entrySet()) {
            texts.put(e.getKey(), SampleIdList.text(e.getValue()).getBytes(StandardCharsets.UTF_8));
        }
        for (Map.Entry<String, byte[]> e : texts.entrySet()) {
            AtomicFiles.write(directory.resolve(e.getKey() + ".txt"), out -> out.write(e.getValue()));
        }
    }

    /** A random permutation's prefix order: positions {@code 0..n-1} shuffled by Fisher-Yates. */
    private static int[] sample(int n, Random random) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = 0; i < n - 1; i++) {
            int j = i + random.nextInt(n - i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
