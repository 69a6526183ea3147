package ai.peft4j.data.classify;

import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.split.SplitRatios;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The images of one split with one class each. Two layouts:
 * <ul>
 *   <li>{@code image-folder}: {@code root/<split>/<class>/*.jpg} (torchvision's ImageFolder per split, as peft-vit's
 *       custom data set), or, without split folders, {@code root/<class>/*.jpg} split per class by the seeded
 *       splitter (6:2:2, seed 0), so every split holds every class;</li>
 *   <li>{@code name-class}: {@code root/JPEGImages/<id>.jpg} listed in {@code root/ImageSets/Main/<split>.txt},
 *       the class being the id without its {@code _<n>} suffix (NEU-DET: {@code crazing_12}), classes in the order
 *       of {@code root/classes.txt} when there is one.</li>
 * </ul>
 * Ids are {@code <class>/<name>} and {@code <id>}. Class ids follow the training split's classes: another split
 * is opened with them, and a class it has that training lacks is an error.
 */
public final class LabelledImages {
    public static final List<String> LAYOUTS = List.of("image-folder", "name-class");
    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp");

    /** One image: its id, file and class id. */
    public record Item(String id, Path file, int label) {}

    private final String name;
    private final List<String> classNames;
    private final List<Item> items;

    private LabelledImages(String name, List<String> classNames, List<Item> items) {
        this.name = name;
        this.classNames = List.copyOf(classNames);
        this.items = List.copyOf(items);
    }

    /**
     * Split {@code split} of the data set at {@code root} in {@code layout}; {@code classes} are the training
     * split's class names, or null when this is the training split (its classes are then its own).
     */
    public static LabelledImages open(Path root, String layout, String split, List<String> classes) {
        return open(root, layout, split, classes, List.of());
    }

    /**
     * As {@link #open(Path, String, String, List)}, keeping only the classes named in {@code subset} (all when it
     * is empty): the other classes' images are left out, and the kept classes keep the data set's own order. A
     * name the data set does not have is an error naming the known classes.
     */
    public static LabelledImages open(Path root, String layout, String split, List<String> classes,
            List<String> subset) {
        if (!Files.isDirectory(root)) {
            throw new DataException(root, "data folder not found");
        }
        switch (layout) {
            case "image-folder":
                return Files.isDirectory(root.resolve(split)) ? folders(root.resolve(split), root.getFileName() + "/"
                        + split, classes, subset) : splitFolders(root, split, classes, subset);
            case "name-class":
                return namedByFile(root, split, classes, subset);
            default:
                throw new IllegalArgumentException("classification layout must be one of " + LAYOUTS + ", got '"
                        + layout + "'");
        }
    }

    public String name() {
        return name;
    }

    public List<String> classNames() {
        return classNames;
    }

    public int numClasses() {
        return classNames.size();
    }

    public int size() {
        return items.size();
    }

    public List<Item> items() {
        return items;
    }

    /** Images per class id. */
    public int[] classCounts() {
        int[] n = new int[classNames.size()];
        items.forEach(i -> n[i.label()]++);
        return n;
    }

    /** Decodes image {@code i}. */
    public RgbImage read(int i) {
        return ImageDecoder.readRgb(items.get(i).file());
    }

    private static LabelledImages folders(Path dir, String name, List<String> classes, List<String> subset) {
        Map<String, List<Path>> byClass = kept(classFolders(dir), subset, dir);
        List<String> names = classes != null ? classes : List.copyOf(byClass.keySet());
        List<Item> items = new ArrayList<>();
        byClass.forEach((c, files) -> {
            int label = labelOf(c, names, dir.resolve(c), name);
            for (Path f : files) {
                items.add(new Item(c + "/" + stem(f), f, label));
            }
        });
        requireDistinct(items, names);
        return new LabelledImages(name, names, items);
    }

    private static LabelledImages splitFolders(Path root, String split, List<String> classes,
            List<String> subset) {
        if (!List.of("train", "val", "test").contains(split)) {
            throw new DataException(root, "no folder '" + split + "' here, and a data set without split folders is "
                    + "split into train, val and test only (6:2:2 per class, seed 0)");
        }
        Map<String, List<Path>> byClass = kept(classFolders(root), subset, root);
        List<String> names = classes != null ? classes : List.copyOf(byClass.keySet());
        List<Item> all = new ArrayList<>();
        List<Item> picked = new ArrayList<>();
        byClass.forEach((c, files) -> {
            int label = labelOf(c, names, root.resolve(c), root.getFileName().toString());
            Map<String, Path> byId = new TreeMap<>();
            files.forEach(f -> byId.put(c + "/" + stem(f), f));
            byId.forEach((id, f) -> all.add(new Item(id, f, label)));
            DatasetSplit s = DatasetSplit.of(List.copyOf(byId.keySet()), SplitRatios.published(), 0);
            List<String> ids = split.equals("train") ? s.train() : split.equals("val") ? s.val() : s.test();
            ids.forEach(id -> picked.add(new Item(id, byId.get(id), label)));
        });
        requireDistinct(all, names);
        return new LabelledImages(root.getFileName() + "/" + split, names, picked);
    }

    private static LabelledImages namedByFile(Path root, String split, List<String> classes,
            List<String> subset) {
        Path list = root.resolve("ImageSets").resolve("Main").resolve(split + ".txt");
        if (!Files.isRegularFile(list)) {
            throw new DataException(list, "split list not found (name-class data lists its ids in "
                    + "ImageSets/Main/<split>.txt)");
        }
        List<String> ids = lines(list);
        Path classFile = root.resolve("classes.txt");
        List<String> own;
        if (Files.isRegularFile(classFile)) {
            own = lines(classFile);
        } else {
            TreeSet<String> found = new TreeSet<>();
            ids.forEach(id -> found.add(classOf(id)));
            own = List.copyOf(found);
        }
        requireKnown(subset, own, root);
        List<String> wanted = subset.isEmpty() ? own : own.stream().filter(subset::contains).toList();
        List<String> names = classes != null ? classes : wanted;
        List<Item> items = new ArrayList<>();
        for (String id : ids) {
            String c = classOf(id);
            if (!own.contains(c)) {
                throw new DataException(list, "id '" + id + "' names class '" + c + "', which " + classFile
                        .getFileName() + " does not list (" + own + ")");
            }
            if (!wanted.contains(c)) {
                continue;
            }
            Path f = root.resolve("JPEGImages").resolve(id + ".jpg");
            if (!Files.isRegularFile(f)) {
                throw new DataException(f, "listed in " + list + " but missing");
            }
            items.add(new Item(id, f, labelOf(c, names, list, root.getFileName() + "/" + split)));
        }
        if (items.isEmpty()) {
            throw new DataException(list, "lists no images");
        }
        return new LabelledImages(root.getFileName() + "/" + split, names, items);
    }

    /** The class folders named in {@code subset} (all when it is empty), in their own order. */
    private static Map<String, List<Path>> kept(Map<String, List<Path>> byClass, List<String> subset, Path root) {
        requireKnown(subset, List.copyOf(byClass.keySet()), root);
        if (subset.isEmpty()) {
            return byClass;
        }
        Map<String, List<Path>> kept = new TreeMap<>(byClass);
        kept.keySet().retainAll(subset);
        return kept;
    }

    private static void requireKnown(List<String> subset, List<String> known, Path root) {
        for (String c : subset) {
            if (!known.contains(c)) {
                throw new DataException(root, "data.classes names '" + c + "', which is not a class of this data "
                        + "set; its classes are " + known);
            }
        }
    }

    /** The class of a NEU-DET style id: the id without a trailing {@code _<n>}. */
    static String classOf(String id) {
        return id.replaceFirst("_\\d+$", "");
    }

    private static int labelOf(String c, List<String> names, Path where, String split) {
        int label = names.indexOf(c);
        if (label < 0) {
            throw new DataException(where, "class '" + c + "' of " + split + " is not a class of the training split "
                    + names + "; a model cannot predict a class it never saw: add its images to training or leave "
                    + "them out");
        }
        return label;
    }

    private static Map<String, List<Path>> classFolders(Path dir) {
        Map<String, List<Path>> byClass = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path c : s.filter(Files::isDirectory).sorted().toList()) {
                List<Path> files;
                try (Stream<Path> f = Files.list(c)) {
                    files = f.filter(p -> Files.isRegularFile(p) && EXTENSIONS.contains(extension(p))).sorted()
                            .toList();
                }
                if (files.isEmpty()) {
                    throw new DataException(c, "class folder holds no images (" + String.join(", ", new TreeSet<>(
                            EXTENSIONS)) + "); add its images or remove the folder");
                }
                byClass.put(c.getFileName().toString(), files);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot be listed", e);
        }
        if (byClass.isEmpty()) {
            throw new DataException(dir, "no class folders (expected <class>/<image>.jpg)");
        }
        return byClass;
    }

    /** Fails when one image (by content) is filed under two classes: its label would be a coin toss. */
    private static void requireDistinct(List<Item> items, List<String> names) {
        Map<String, Item> byDigest = new HashMap<>();
        for (Item i : items) {
            Item other = byDigest.putIfAbsent(digest(i.file()), i);
            if (other != null && other.label() != i.label()) {
                throw new DataException(i.file(), "the same image as " + other.file() + ", but filed under class '"
                        + names.get(i.label()) + "' and '" + names.get(other.label()) + "'; keep it in one class");
            }
        }
    }

    private static String digest(Path f) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (IOException e) {
            throw new DataException(f, "cannot be read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            throw new DataException(file, "cannot be read: " + e.getMessage(), e);
        }
    }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }
}
