package ai.peft4j.data.folder;

import ai.peft4j.data.CheckReport;
import ai.peft4j.data.DataException;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.Problem;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A folder-per-class data set. A pair is an image {@code <name>.<ext>} (any extension but {@code .png}) beside its
 * mask {@code <name>.png}; mask pixels at or above the threshold take the folder's class, the rest are background.
 * A defect-free folder's images are all background, with or without masks.
 *
 * <p>A sample's id is {@code <folder>/<name>}, e.g. {@code MT_Crack/exp1_num_3191}: unique across folders and
 * enough to find the pair again. Split lists of such ids live in {@code <root>/ImageSets/Segmentation}.
 */
public final class ClassFolderDataset implements ImageDataset {
    private final String name;
    private final List<String> classNames;
    private final ClassFolderConfig config;
    private final List<Entry> entries;

    /** One pair: its id, files and class id (0 for a defect-free folder). */
    record Entry(String id, Path image, Path mask, int classId) {}

    private ClassFolderDataset(String name, List<String> classNames, ClassFolderConfig config, List<Entry> entries) {
        this.name = name;
        this.classNames = List.copyOf(classNames);
        this.config = config;
        this.entries = List.copyOf(entries);
    }

    /** Every pair under {@code root}, ordered by folder then name. */
    public static ClassFolderDataset all(Path root, ClassFolderConfig config) {
        Scan scan = scan(root, config);
        if (!scan.problems.isEmpty()) {
            Problem p = scan.problems.get(0);
            throw new DataException(p.file(), p.message());
        }
        if (scan.entries.isEmpty()) {
            throw new DataException(root, "no image/mask pairs found in folders named " + config.folderPrefix()
                    + "<Class>" + (config.imagesFolder().isEmpty() ? "" : "/" + config.imagesFolder()));
        }
        return new ClassFolderDataset(root.getFileName() + "/all", scan.classNames, config, scan.entries);
    }

    /** The pairs listed in {@code ImageSets/Segmentation/<split>.txt} (ids {@code <folder>/<name>}). */
    public static ClassFolderDataset open(Path root, String split, ClassFolderConfig config) {
        return open(root, listFile(root, split), split, config);
    }

    /**
     * The pairs listed in {@code list}, a split list kept outside the data set (e.g. written by
     * {@code peft4j split --output} beside a read-only data set); {@code split} names it in reports.
     */
    public static ClassFolderDataset open(Path root, Path list, String split, ClassFolderConfig config) {
        ClassFolderDataset all = all(root, config);
        if (!Files.isRegularFile(list)) {
            throw new DataException(list, "split list not found; write the lists with 'peft4j split'");
        }
        Map<String, Entry> byId = new HashMap<>();
        for (Entry e : all.entries) {
            byId.put(e.id(), e);
        }
        List<Entry> picked = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(list, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String id = lines.get(i).strip();
                if (id.isEmpty()) {
                    continue;
                }
                Entry e = byId.get(id);
                if (e == null) {
                    throw new DataException(list, "id '" + id + "' (line " + (i + 1) + ") names no image/mask pair "
                            + "under " + root);
                }
                picked.add(e);
            }
        } catch (IOException e) {
            throw new DataException(list, "cannot be read: " + e.getMessage(), e);
        }
        if (picked.isEmpty()) {
            throw new DataException(list, "split list is empty; it should name one sample id per line");
        }
        return new ClassFolderDataset(root.getFileName() + "/" + split, all.classNames, config, picked);
    }

    /** {@code <root>/ImageSets/Segmentation/<split>.txt}. */
    public static Path listFile(Path root, String split) {
        return root.resolve("ImageSets").resolve("Segmentation").resolve(split + ".txt");
    }

    /** Checks every pair and reports every problem: unpaired files, unknown classes, unreadable pairs. */
    public static CheckReport check(Path root, ClassFolderConfig config) {
        Scan scan = scan(root, config);
        List<Problem> problems = new ArrayList<>(scan.problems);
        String name = String.valueOf(root.getFileName());
        if (scan.entries.isEmpty()) {
            if (problems.isEmpty()) {
                problems.add(new Problem(root, "no image/mask pairs found"));
            }
            return new CheckReport(name, 0, problems, 0, 0);
        }
        CheckReport pairs = new ClassFolderDataset(name, scan.classNames, config, scan.entries).check();
        problems.addAll(pairs.problems());
        return new CheckReport(name, pairs.pairsChecked(), problems, 0, 0);
    }

    /** The ids of every pair under {@code root}, ordered by folder then name (the split's input). */
    public static List<String> ids(Path root, ClassFolderConfig config) {
        return all(root, config).ids();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public Palette palette() {
        return config.palette();
    }

    @Override
    public int size() {
        return entries.size();
    }

    public List<String> ids() {
        return entries.stream().map(Entry::id).toList();
    }

    public Path imageFile(int index) {
        return entries.get(index).image();
    }

    /** Whether pair {@code index} comes from a defect-free folder (all background), known without decoding it. */
    public boolean defectFree(int index) {
        return entries.get(index).classId() == 0;
    }

    @Override
    public List<Path> files(int index) {
        Entry e = entries.get(index);
        return e.mask() == null ? List.of(e.image()) : List.of(e.image(), e.mask());
    }

    @Override
    public LabelledImage read(int index) {
        Entry e = entries.get(index);
        RgbImage image = ImageDecoder.readRgb(e.image());
        int[] mask = new int[image.width() * image.height()];
        if (e.mask() != null) {
            MaskRaster raw = ImageDecoder.readMask(e.mask());
            if (raw.width() != image.width() || raw.height() != image.height()) {
                throw new DataException(e.mask(), "mask is " + raw.width() + "x" + raw.height() + " but its image "
                        + e.image().getFileName() + " is " + image.width() + "x" + image.height());
            }
            if (raw.colour()) {
                throw new DataException(e.mask(), "mask has " + raw.channels() + " channels; expected a grey mask "
                        + "(defect where the value is at least " + config.maskThreshold() + ")");
            }
            if (e.classId() > 0) {
                int[] v = raw.values();
                for (int i = 0; i < v.length; i++) {
                    mask[i] = v[i] >= config.maskThreshold() ? e.classId() : 0;
                }
            }
        }
        return new LabelledImage(e.id(), image, mask);
    }

    private record Scan(List<String> classNames, List<Entry> entries, List<Problem> problems) {}

    private static Scan scan(Path root, ClassFolderConfig config) {
        if (!Files.isDirectory(root)) {
            throw new DataException(root, "data folder not found");
        }
        TreeMap<String, Path> folders = new TreeMap<>();
        try (Stream<Path> list = Files.list(root)) {
            list.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith(config.folderPrefix()))
                    .forEach(p -> folders.put(p.getFileName().toString(), p));
        } catch (IOException e) {
            throw new DataException(root, "cannot be listed: " + e.getMessage(), e);
        }
        List<Problem> problems = new ArrayList<>();
        if (folders.isEmpty()) {
            problems.add(new Problem(root, "no class folders (named " + config.folderPrefix() + "<Class>) found"));
            return new Scan(List.of(), List.of(), problems);
        }
        List<String> classNames = new ArrayList<>(config.classNames());
        if (classNames.isEmpty()) {
            classNames.add("background");
            for (String folder : folders.keySet()) {
                String cls = folder.substring(config.folderPrefix().length());
                if (!config.defectFreeClasses().contains(cls)) {
                    classNames.add(cls);
                }
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Path> f : folders.entrySet()) {
            String folder = f.getKey();
            String cls = folder.substring(config.folderPrefix().length());
            boolean free = config.defectFreeClasses().contains(cls);
            int classId = free ? 0 : classNames.indexOf(cls);
            if (classId < 0) {
                problems.add(new Problem(f.getValue(), "class '" + cls + "' is not among the configured classes "
                        + classNames));
                continue;
            }
            Path dir = config.imagesFolder().isEmpty() ? f.getValue() : f.getValue().resolve(config.imagesFolder());
            if (!Files.isDirectory(dir)) {
                problems.add(new Problem(dir, "folder not found; a class folder keeps its pairs here"));
                continue;
            }
            TreeMap<String, Path> images = new TreeMap<>();
            TreeMap<String, Path> masks = new TreeMap<>();
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(Files::isRegularFile).forEach(p -> {
                    String n = p.getFileName().toString();
                    int dot = n.lastIndexOf('.');
                    if (dot <= 0 || n.startsWith(".")) {
                        return;
                    }
                    String stem = n.substring(0, dot);
                    String ext = n.substring(dot + 1).toLowerCase(Locale.ROOT);
                    if (ext.equals("png")) {
                        masks.put(stem, p);
                    } else if (List.of("jpg", "jpeg", "bmp", "tif", "tiff", "gif").contains(ext)) {
                        images.put(stem, p);
                    }
                });
            } catch (IOException e) {
                problems.add(new Problem(dir, "cannot be listed: " + e.getMessage()));
                continue;
            }
            for (Map.Entry<String, Path> img : images.entrySet()) {
                Path mask = masks.get(img.getKey());
                if (mask == null && !free) {
                    problems.add(new Problem(img.getValue(), "mask " + img.getKey() + ".png not found beside it"));
                    continue;
                }
                entries.add(new Entry(folder + "/" + img.getKey(), img.getValue(), mask, classId));
            }
            for (Map.Entry<String, Path> m : masks.entrySet()) {
                if (!images.containsKey(m.getKey())) {
                    problems.add(new Problem(m.getValue(), "mask without an image (" + m.getKey() + ".jpg)"));
                }
            }
        }
        return new Scan(classNames, entries, problems);
    }
}
