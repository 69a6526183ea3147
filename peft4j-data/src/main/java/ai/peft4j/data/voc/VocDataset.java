package ai.peft4j.data.voc;

import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.data.CheckReport;
import ai.peft4j.data.DataException;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.MaskValues;
import ai.peft4j.data.Problem;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.split.SampleIdList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One split of a VOC-layout data set. The root is the folder holding {@code JPEGImages}, or one holding
 * {@code VOC2007/JPEGImages} as the published code expects. Images are found by content whatever their extension;
 * an id without a {@code .jpg} may also be a {@code .jpeg}, {@code .png} or {@code .bmp}. Masks are PNG, BMP or
 * TIFF, and JPEG too when they are binary ({@link VocConfig#binaryMasks()}). A split list names one id per line,
 * the whole line ({@link SampleIdList}): an id with spaces names the files with those spaces.
 */
public final class VocDataset implements ImageDataset {
    /** Split lists the published split script writes. */
    public static final List<String> SPLITS = List.of("train", "val", "test", "trainval");

    /** What a list's ids name, for the message of a refused id. */
    static final String IDS = "ids are file names without extension, relative to JPEGImages and SegmentationClass";

    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG",
            ".PNG");

    /** Mask files by preference; JPEG masks only for binary masks (compression changes class ids). */
    private static final List<String> MASK_EXTENSIONS = List.of(".png", ".PNG", ".bmp", ".BMP", ".tif", ".tiff",
            ".jpg", ".jpeg", ".JPG", ".JPEG");

    private final String name;
    private final VocConfig config;
    private final MaskValues maskValues;
    private final List<String> ids;
    private final List<Path> images;
    private final List<Path> masks;
    private final AtomicLong ignored = new AtomicLong();

    private VocDataset(String name, VocConfig config, List<String> ids, List<Path> images, List<Path> masks) {
        this.name = name;
        this.config = config;
        this.maskValues = new MaskValues(config.classNames().size(), config.outOfRange(),
                config.colourMasks() ? config.palette() : null);
        this.ids = List.copyOf(ids);
        this.images = List.copyOf(images);
        this.masks = List.copyOf(masks);
    }

    /**
     * Opens split {@code split} (e.g. {@code train}) from {@code ImageSets/Segmentation/<split>.txt}. A missing or
     * empty list, and a listed id whose image or mask is missing, fail here with the file named.
     */
    public static VocDataset open(Path root, String split, VocConfig config) {
        return open(root, listFile(root, split), split, config);
    }

    /**
     * Opens the ids listed in {@code list}, a split list kept outside the data set (e.g. written by
     * {@code peft4j split --output} beside a read-only data set); {@code split} names it in reports.
     */
    public static VocDataset open(Path root, Path list, String split, VocConfig config) {
        Path dir = layoutRoot(root);
        List<SampleIdList.Entry> listed = SampleIdList.read(list, IDS);
        if (listed.isEmpty()) {
            throw new DataException(list, "split list is empty; it should name one sample id per line");
        }
        List<String> ids = new ArrayList<>(listed.size());
        List<Path> images = new ArrayList<>(listed.size());
        List<Path> masks = new ArrayList<>(listed.size());
        for (SampleIdList.Entry e : listed) {
            String id = e.id();
            Path mask = maskFile(dir, id);
            Path image = imageFile(dir, id);
            if (image == null) {
                throw new DataException(dir.resolve("JPEGImages").resolve(id + ".jpg"), "image not found; id '" + id
                        + "' is listed in " + list.getFileName() + " (line " + e.line() + ")");
            }
            if (!Files.isRegularFile(mask)) {
                throw new DataException(mask, "mask not found; id '" + id + "' is listed in " + list.getFileName()
                        + " (line " + e.line() + ")");
            }
            ids.add(id);
            images.add(image);
            masks.add(mask);
        }
        return new VocDataset(dir.getFileName() + "/" + split, config, ids, images, masks);
    }

    /** Every pair whose mask is in {@code SegmentationClass}, in id order, whatever the split lists say. */
    public static VocDataset all(Path root, VocConfig config) {
        Path dir = layoutRoot(root);
        List<String> found = maskIds(dir);
        List<String> ids = new ArrayList<>();
        List<Path> images = new ArrayList<>();
        List<Path> masks = new ArrayList<>();
        for (String id : found) {
            Path image = imageFile(dir, id);
            if (image == null) {
                throw new DataException(dir.resolve("JPEGImages").resolve(id + ".jpg"), "image not found for mask "
                        + maskFile(dir, id).getFileName());
            }
            ids.add(id);
            images.add(image);
            masks.add(maskFile(dir, id));
        }
        if (ids.isEmpty()) {
            throw new DataException(dir.resolve("SegmentationClass"), "no masks (.png, .bmp, .tif or .jpg) found");
        }
        return new VocDataset(dir.getFileName() + "/all", config, ids, images, masks);
    }

    /** The folder holding {@code JPEGImages}: {@code root}, or {@code root/VOC2007} when only that has one. */
    public static Path layoutRoot(Path root) {
        if (!Files.isDirectory(root.resolve("JPEGImages")) && Files.isDirectory(root.resolve("VOC2007/JPEGImages"))) {
            return root.resolve("VOC2007");
        }
        return root;
    }

    /** {@code ImageSets/Segmentation/<split>.txt} under the layout root. */
    public static Path listFile(Path root, String split) {
        return ContainedPath.resolve(layoutRoot(root).resolve("ImageSets").resolve("Segmentation"), split, ".txt",
                "split name");
    }

    /** The id of a mask file name, or null when its extension is not a mask's. */
    private static String maskStem(String name) {
        for (String ext : MASK_EXTENSIONS) {
            if (name.endsWith(ext) && name.length() > ext.length()) {
                return name.substring(0, name.length() - ext.length());
            }
        }
        return null;
    }

    /** Ids of the masks in {@code SegmentationClass} (PNG, BMP, TIFF or JPEG files), sorted (the split's input). */
    public static List<String> maskIds(Path root) {
        Path masks = layoutRoot(root).resolve("SegmentationClass");
        if (!Files.isDirectory(masks)) {
            throw new DataException(masks, "folder not found; a VOC data set keeps its masks here");
        }
        List<String> ids;
        try (Stream<Path> files = Files.list(masks)) {
            ids = files.map(p -> p.getFileName().toString()).map(VocDataset::maskStem)
                    .filter(java.util.Objects::nonNull).distinct().sorted().toList();
        } catch (IOException e) {
            throw new DataException(masks, "cannot be listed: " + e.getMessage(), e);
        }
        for (String id : ids) {
            String problem = ContainedPath.problem(id);
            if (problem != null) {
                throw new DataException(masks.resolve(ContainedPath.printable(id) + ".png"), "the sample id of "
                        + "this mask " + problem + "; rename the file");
            }
        }
        return ids;
    }

    /**
     * Checks the whole data set and reports every problem: missing or empty split lists, listed ids without files,
     * ids listed twice or in more than one of train, val and test, and every pair that cannot be read (damaged
     * images, size mismatches, bad mask values or channels).
     */
    public static CheckReport check(Path root, VocConfig config) {
        Path dir = layoutRoot(root);
        List<Problem> problems = new ArrayList<>();
        for (String folder : List.of("JPEGImages", "SegmentationClass")) {
            if (!Files.isDirectory(dir.resolve(folder))) {
                problems.add(new Problem(dir.resolve(folder), "folder not found"));
            }
        }
        if (!problems.isEmpty()) {
            return new CheckReport(dir.getFileName().toString(), 0, problems, 0, 0);
        }
        Set<String> toRead = new LinkedHashSet<>();
        Map<String, String> splitOf = new HashMap<>();
        boolean anyList = false;
        for (String split : SPLITS) {
            Path list = listFile(dir, split);
            if (!Files.exists(list)) {
                if (!split.equals("trainval")) {
                    problems.add(new Problem(list, "split list not found"));
                }
                continue;
            }
            anyList = true;
            List<SampleIdList.Entry> listed;
            try {
                listed = SampleIdList.read(list, IDS);
            } catch (DataException e) {
                problems.add(e.toProblem());
                continue;
            }
            if (listed.isEmpty()) {
                problems.add(new Problem(list, "split list is empty"));
            }
            Set<String> seen = new HashSet<>();
            for (SampleIdList.Entry entry : listed) {
                String id = entry.id();
                String where = "id '" + id + "' listed in " + list.getFileName() + " (line " + entry.line() + ")";
                if (!seen.add(id)) {
                    problems.add(new Problem(list, where + " is listed twice"));
                    continue;
                }
                if (!split.equals("trainval")) {
                    String other = splitOf.putIfAbsent(id, split);
                    if (other != null) {
                        problems.add(new Problem(list, where + " is also in " + other + ".txt"));
                    }
                }
                boolean present = true;
                if (imageFile(dir, id) == null) {
                    problems.add(new Problem(dir.resolve("JPEGImages").resolve(id + ".jpg"), "image not found; "
                            + where));
                    present = false;
                }
                if (!Files.isRegularFile(maskFile(dir, id))) {
                    problems.add(new Problem(maskFile(dir, id), "mask not found; " + where));
                    present = false;
                }
                if (present) {
                    toRead.add(id);
                }
            }
        }
        if (!anyList) {
            for (String id : maskIds(dir)) {
                if (imageFile(dir, id) == null) {
                    problems.add(new Problem(dir.resolve("JPEGImages").resolve(id + ".jpg"), "image not found for "
                            + "mask " + maskFile(dir, id).getFileName()));
                } else {
                    toRead.add(id);
                }
            }
        }
        List<String> ids = new ArrayList<>(toRead);
        List<Path> images = ids.stream().map(id -> imageFile(dir, id)).toList();
        List<Path> masks = ids.stream().map(id -> maskFile(dir, id)).toList();
        String name = dir.getFileName().toString();
        if (ids.isEmpty()) {
            return new CheckReport(name, 0, problems, 0, 0);
        }
        CheckReport pairs = new VocDataset(name, config, ids, images, masks).check();
        problems.addAll(pairs.problems());
        return new CheckReport(name, pairs.pairsChecked(), problems, pairs.ignoredPixels(),
                pairs.masksWithIgnoredPixels());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> classNames() {
        return config.classNames();
    }

    @Override
    public Palette palette() {
        return config.palette();
    }

    @Override
    public int size() {
        return ids.size();
    }

    public List<String> ids() {
        return ids;
    }

    public Path imageFile(int index) {
        return images.get(index);
    }

    public Path maskFile(int index) {
        return masks.get(index);
    }

    @Override
    public List<Path> files(int index) {
        return List.of(images.get(index), masks.get(index));
    }

    @Override
    public LabelledImage read(int index) {
        RgbImage image = ImageDecoder.readRgb(images.get(index));
        Path maskFile = masks.get(index);
        if (!config.binaryMasks() && lossy(maskFile)) {
            throw new DataException(maskFile, "a JPEG mask cannot hold class ids (compression changes them near "
                    + "every edge); save the masks as PNG, or read binary masks (defect where bright) as binary");
        }
        MaskRaster raw = config.binaryMasks() ? ImageDecoder.readMaskLevels(maskFile)
                : ImageDecoder.readMask(maskFile);
        if (raw.width() != image.width() || raw.height() != image.height()) {
            throw new DataException(maskFile, "mask is " + raw.width() + "x" + raw.height() + " but its image "
                    + images.get(index).getFileName() + " is " + image.width() + "x" + image.height());
        }
        if (config.binaryMasks()) {
            int[] v = raw.values();
            int[] ids = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                ids[i] = v[i] >= config.binaryThreshold() ? 1 : 0;
            }
            return new LabelledImage(this.ids.get(index), image, ids);
        }
        long[] count = new long[1];
        int[] ids = maskValues.classIds(raw, maskFile, count);
        if (count[0] > 0) {
            ignored.addAndGet(count[0]);
        }
        return new LabelledImage(this.ids.get(index), image, ids);
    }

    @Override
    public long ignoredPixels() {
        return ignored.get();
    }

    /** The mask of {@code id}, the first of {@link #MASK_EXTENSIONS} that exists; the {@code .png} when none. */
    private static Path maskFile(Path dir, String id) {
        Path masks = dir.resolve("SegmentationClass");
        for (String ext : MASK_EXTENSIONS) {
            Path p = ContainedPath.resolve(masks, id, ext, "sample id");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return ContainedPath.resolve(masks, id, ".png", "sample id");
    }

    private static boolean lossy(Path file) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    private static Path imageFile(Path dir, String id) {
        Path images = dir.resolve("JPEGImages");
        for (String ext : IMAGE_EXTENSIONS) {
            Path p = ContainedPath.resolve(images, id, ext, "sample id");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }
}
