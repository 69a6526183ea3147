package ai.peft4j.app;

import ai.peft4j.core.progress.ProgressBar;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.dedup.CopyFinder;
import ai.peft4j.data.dedup.CopyGroups;
import ai.peft4j.data.dedup.CopyPair;
import ai.peft4j.data.dedup.Dihedral;
import ai.peft4j.data.dedup.ImageFingerprint;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.split.SplitRatios;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code peft4j check}: copies of a photo across a data set's split lists, and a split that keeps them together. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Find exact and near copies of each image (rotated and flipped ones included), report which "
            + "published split lists they straddle, and write a grouped split in which every copy of a photo is in "
            + "the same list.",
            "Writes duplicates.csv (the pairs found, with the transform from the first image to the second), "
                + "groups.json (each group of copies, its members' lists) and train.txt, val.txt, test.txt and "
                + "trainval.txt (the grouped split, drawn as 'peft4j split' draws, with groups in place of ids) to "
                + "--out. The data folder and its published lists are never changed."})
final class CheckCommand implements Callable<Integer> {
    private static final List<String> PUBLISHED = List.of("train", "val", "test");

    @Parameters(index = "0", paramLabel = "DATA", description = "The data set's root folder.")
    Path root;

    @Option(names = "--layout", defaultValue = "auto", description = "voc, folders (one folder per class) or auto: "
            + "voc where JPEGImages (or VOC2007/JPEGImages) exists (default: ${DEFAULT-VALUE}).")
    SplitCommand.Layout layout;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the reports and the grouped split "
            + "(default: runs/check/<DATA's folder name>); never inside DATA.")
    Path out;

    @Option(names = "--ratios", defaultValue = "6:2:2", description = "train:val:test proportions of the grouped "
            + "split, counted in groups (default: ${DEFAULT-VALUE}).")
    String ratios;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the grouped split (default: "
            + "${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-hamming", paramLabel = "BITS", defaultValue = "" + CopyFinder.MAX_HAMMING,
            description = "Most hash bits (of 64) by which a candidate pair may differ (default: ${DEFAULT-VALUE}).")
    int maxHamming;

    @Option(names = "--max-difference", paramLabel = "LEVELS", defaultValue = "" + CopyFinder.MAX_DIFFERENCE,
            description = "Most mean absolute grey-level difference of aligned 32x32 thumbnails, each less its "
                    + "mean, for a pair to be copies (default: ${DEFAULT-VALUE}).")
    double maxDifference;

    @Option(names = "--folder-prefix", defaultValue = "MT_", description = "Prefix of class folders in the "
            + "folders layout (default: ${DEFAULT-VALUE}).")
    String folderPrefix;

    @Option(names = "--images-folder", defaultValue = "Imgs", description = "Sub-folder of a class folder holding "
            + "its pairs in the folders layout; empty for the class folder itself (default: ${DEFAULT-VALUE}).")
    String imagesFolder;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root + ": data folder not found");
        }
        SplitRatios parsed = SplitRatios.parse(ratios);
        CopyFinder finder = new CopyFinder(maxHamming, maxDifference);
        Path dir = out != null ? out : Path.of("runs", "check", String.valueOf(root.toAbsolutePath().normalize()
                .getFileName()));
        refuseInside(dir, root);
        SplitCommand.Layout chosen = layout == SplitCommand.Layout.auto ? detect(root) : layout;
        List<String> ids;
        List<Path> files = new ArrayList<>();
        if (chosen == SplitCommand.Layout.voc) {
            // Only the image files are read; the class names do not matter here.
            VocDataset data = VocDataset.all(root, VocConfig.of("background"));
            ids = data.ids();
            IntStream.range(0, data.size()).forEach(i -> files.add(data.imageFile(i)));
        } else {
            ClassFolderDataset data = ClassFolderDataset.all(root, new ClassFolderConfig(List.of(), null, folderPrefix,
                    imagesFolder, null, 128));
            ids = data.ids();
            IntStream.range(0, data.size()).forEach(i -> files.add(data.imageFile(i)));
        }
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        List<ImageFingerprint> prints = fingerprints(files, console);
        List<CopyPair> pairs = finder.find(ids, prints);
        CopyGroups groups = CopyGroups.of(ids, pairs);
        Map<String, Set<String>> published = publishedLists(chosen);
        DatasetSplit split = DatasetSplit.grouped(groups.groups(), parsed, seed);

        Files.createDirectories(dir);
        split.write(dir);
        writeCsv(dir.resolve("duplicates.csv"), pairs, published);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            index.put(ids.get(i), i);
        }
        Summary summary = summarise(groups, published, ids.size());
        writeJson(dir.resolve("groups.json"), summary, finder, groups, pairs, published, split, prints, index);
        print(console, chosen, ids.size(), pairs, groups, published, summary, split, parsed, dir);
        return 0;
    }

    /** Straddling counts: groups whose copies sit in two or more published lists. */
    private record Summary(int straddling, Map<String, Integer> byPair, int inAll, Map<String, Integer> leakedImages,
            Map<String, Integer> listSizes) {}

    private static Summary summarise(CopyGroups groups, Map<String, Set<String>> published, int images) {
        Map<String, Integer> byPair = new LinkedHashMap<>();
        for (int a = 0; a < PUBLISHED.size(); a++) {
            for (int b = a + 1; b < PUBLISHED.size(); b++) {
                byPair.put(PUBLISHED.get(a) + " & " + PUBLISHED.get(b), 0);
            }
        }
        Map<String, Integer> leaked = new LinkedHashMap<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String list : PUBLISHED) {
            leaked.put(list, 0);
            sizes.put(list, 0);
        }
        published.values().forEach(lists -> lists.forEach(l -> sizes.merge(l, 1, Integer::sum)));
        int straddling = 0;
        int inAll = 0;
        for (List<String> group : groups.copies()) {
            Set<String> lists = listsOf(group, published);
            if (lists.size() < 2) {
                continue;
            }
            straddling++;
            if (lists.size() == PUBLISHED.size()) {
                inAll++;
            }
            for (String pair : byPair.keySet()) {
                String[] ab = pair.split(" & ");
                if (lists.contains(ab[0]) && lists.contains(ab[1])) {
                    byPair.merge(pair, 1, Integer::sum);
                }
            }
            for (String id : group) {
                for (String l : published.getOrDefault(id, Set.of())) {
                    leaked.merge(l, 1, Integer::sum);
                }
            }
        }
        return new Summary(straddling, byPair, inAll, leaked, sizes);
    }

    private static Set<String> listsOf(List<String> group, Map<String, Set<String>> published) {
        Set<String> lists = new TreeSet<>();
        for (String id : group) {
            lists.addAll(published.getOrDefault(id, Set.of()));
        }
        return lists;
    }

    /**
     * The grouped split of a VOC-layout data set with the default copy thresholds, as {@code peft4j check} writes
     * it, computed in-process (e.g. for {@code bench transfer}); nothing is written.
     */
    static DatasetSplit groupedVocSplit(Path root, SplitRatios ratios, long seed, PrintStream console) {
        VocDataset data = VocDataset.all(root, VocConfig.of("background"));
        List<Path> files = new ArrayList<>();
        IntStream.range(0, data.size()).forEach(i -> files.add(data.imageFile(i)));
        List<CopyPair> pairs = new CopyFinder(CopyFinder.MAX_HAMMING, CopyFinder.MAX_DIFFERENCE).find(data.ids(),
                fingerprints(files, console));
        CopyGroups groups = CopyGroups.of(data.ids(), pairs);
        console.printf(Locale.ROOT, "%d images of %s form %d groups of copies%n", data.size(), root,
                groups.groups().size());
        return DatasetSplit.grouped(groups.groups(), ratios, seed);
    }

    /** Decodes every image (on the common pool) with a progress bar: the slow part, some 5 ms an image. */
    private static List<ImageFingerprint> fingerprints(List<Path> files, PrintStream console) {
        ImageFingerprint[] prints = new ImageFingerprint[files.size()];
        AtomicInteger done = new AtomicInteger();
        try (ProgressBar bar = new ProgressBar(console, "Hashing " + files.size() + " images", files.size(),
                ProgressBar.isTerminal())) {
            IntStream.range(0, files.size()).parallel().forEach(i -> {
                prints[i] = ImageFingerprint.of(ImageDecoder.readRgb(files.get(i)));
                int n = done.incrementAndGet();
                synchronized (bar) {
                    bar.update(n, "");
                }
            });
        }
        return List.of(prints);
    }

    /** Each id's published lists (train, val, test) as the data set's own list files name them. */
    private Map<String, Set<String>> publishedLists(SplitCommand.Layout chosen) throws IOException {
        Map<String, Set<String>> lists = new HashMap<>();
        for (String name : PUBLISHED) {
            Path file = chosen == SplitCommand.Layout.voc ? VocDataset.listFile(root, name)
                    : ClassFolderDataset.listFile(root, name);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String id = line.strip();
                if (!id.isEmpty()) {
                    lists.computeIfAbsent(id, k -> new TreeSet<>()).add(name);
                }
            }
        }
        return lists;
    }

    private static void writeCsv(Path file, List<CopyPair> pairs, Map<String, Set<String>> published)
            throws IOException {
        StringBuilder sb = new StringBuilder("first,second,transform,hamming_distance,difference,first_lists,"
                + "second_lists\n");
        for (CopyPair p : pairs) {
            sb.append(csv(p.first())).append(',').append(csv(p.second())).append(',').append(p.transform().label())
                    .append(',').append(p.hammingDistance()).append(',')
                    .append(String.format(Locale.ROOT, "%.3f", p.difference())).append(',')
                    .append(String.join(" ", published.getOrDefault(p.first(), Set.of()))).append(',')
                    .append(String.join(" ", published.getOrDefault(p.second(), Set.of()))).append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private void writeJson(Path file, Summary summary, CopyFinder finder, CopyGroups groups, List<CopyPair> pairs,
            Map<String, Set<String>> published, DatasetSplit split, List<ImageFingerprint> prints,
            Map<String, Integer> index) throws IOException {
        Map<String, String> splitOf = new HashMap<>();
        split.train().forEach(id -> splitOf.put(id, "train"));
        split.val().forEach(id -> splitOf.put(id, "val"));
        split.test().forEach(id -> splitOf.put(id, "test"));
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("data", root.toAbsolutePath().normalize().toString());
        json.put("images", index.size());
        json.put("max_hamming", finder.maxHamming());
        json.put("max_difference", finder.maxDifference());
        json.put("pairs", pairs.size());
        List<List<String>> copies = groups.copies();
        json.put("groups", copies.size());
        json.put("images_in_groups", copies.stream().mapToInt(List::size).sum());
        ObjectNode lists = json.putObject("published_lists");
        summary.listSizes().forEach(lists::put);
        json.put("groups_across_published_lists", summary.straddling());
        ObjectNode byPair = json.putObject("groups_across_by_pair");
        summary.byPair().forEach(byPair::put);
        json.put("groups_in_all_three", summary.inAll());
        json.put("grouped_split_seed", seed);
        json.put("grouped_split_ratios", SplitRatios.parse(ratios).toString());
        ArrayNode all = json.putArray("copies");
        for (List<String> group : copies) {
            ObjectNode g = all.addObject();
            ImageFingerprint first = prints.get(index.get(group.get(0)));
            g.put("split", splitOf.get(group.get(0)));
            ArrayNode across = g.putArray("published_lists");
            listsOf(group, published).forEach(across::add);
            ArrayNode members = g.putArray("members");
            for (String id : group) {
                ObjectNode m = members.addObject();
                m.put("id", id);
                // How this member is the group's first image turned: the best-aligned of the eight transforms.
                ImageFingerprint p = prints.get(index.get(id));
                Dihedral best = Dihedral.IDENTITY;
                double bestDiff = Double.MAX_VALUE;
                for (Dihedral d : Dihedral.values()) {
                    double diff = first.difference(p, d);
                    if (diff < bestDiff) {
                        bestDiff = diff;
                        best = d;
                    }
                }
                m.put("transform", best.inverse().label());
                m.put("difference", Math.round(bestDiff * 1000) / 1000.0);
                m.put("published", String.join(" ", published.getOrDefault(id, Set.of())));
            }
        }
        byte[] bytes = (json.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    private void print(PrintStream console, SplitCommand.Layout chosen, int images, List<CopyPair> pairs,
            CopyGroups groups, Map<String, Set<String>> published, Summary s, DatasetSplit split, SplitRatios parsed,
            Path dir) {
        List<List<String>> copies = groups.copies();
        Map<Dihedral, Integer> byTransform = new EnumMap<>(Dihedral.class);
        pairs.forEach(p -> byTransform.merge(p.transform(), 1, Integer::sum));
        List<String> kinds = new ArrayList<>();
        byTransform.forEach((d, n) -> kinds.add(d.label() + " " + n));
        console.printf("%d images (%s layout) in %s%n", images, chosen, root);
        console.printf("Copies: %d groups of 2 or more hold %d images; %d pairs (%s)%n", copies.size(),
                copies.stream().mapToInt(List::size).sum(), pairs.size(), String.join(", ", kinds));
        if (published.isEmpty()) {
            console.println("Published lists: none (no train.txt, val.txt or test.txt beside the data)");
        } else {
            console.printf("Published lists: train %d, val %d, test %d%n", s.listSizes().get("train"),
                    s.listSizes().get("val"), s.listSizes().get("test"));
            console.printf("Groups across published lists: %d of %d (in all three: %d)%n", s.straddling(),
                    copies.size(), s.inAll());
            s.byPair().forEach((pair, n) -> console.printf("  %-14s %6d%n", pair, n));
            console.printf("Images with a copy in another list: train %d, val %d, test %d%n",
                    s.leakedImages().get("train"), s.leakedImages().get("val"), s.leakedImages().get("test"));
        }
        console.printf("Grouped split %s (seed %d, %d groups drawn) in %s: train %d, val %d, test %d, trainval %d%n",
                parsed, seed, groups.groups().size(), dir, split.train().size(), split.val().size(),
                split.test().size(), split.trainval().size());
        console.printf("Wrote %s and %s%n", dir.resolve("duplicates.csv"), dir.resolve("groups.json"));
    }

    /** The data folder is read-only to this command, and may be so on disk: refuse to write anywhere inside it. */
    private static void refuseInside(Path dir, Path data) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        List<Path> roots = new ArrayList<>(List.of(data.toAbsolutePath().normalize()));
        roots.add(data.toRealPath());
        Path existing = target;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        Path real = existing == null ? target : existing.toRealPath().resolve(existing.relativize(target));
        for (Path r : roots) {
            if (target.startsWith(r) || real.startsWith(r)) {
                throw new IllegalArgumentException(dir + ": inside the data folder " + data + "; check never writes "
                        + "into a data set, so choose --out elsewhere (default: runs/check/<name>)");
            }
        }
    }

    private static SplitCommand.Layout detect(Path root) {
        if (Files.isDirectory(VocDataset.layoutRoot(root).resolve("JPEGImages"))) {
            return SplitCommand.Layout.voc;
        }
        return SplitCommand.Layout.folders;
    }
}
