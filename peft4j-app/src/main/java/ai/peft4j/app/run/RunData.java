package ai.peft4j.app.run;

import ai.peft4j.app.config.DataSection;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.OutOfRangeLabels;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The data sets a {@link DataSection} names. */
public final class RunData {
    private RunData() {}

    /** Split {@code split} of the data set; missing folders, lists and files fail naming them. */
    public static ImageDataset open(DataSection d, String split) {
        Path root = root(d);
        if (d.layout().equals("voc")) {
            if (d.classNames().isEmpty()) {
                throw new IllegalArgumentException("data.class_names is required for a voc data set (background "
                        + "first), e.g. [background, inclusion, patches, scratches]");
            }
            VocConfig config = new VocConfig(d.classNames(), palette(d), d.outOfRange().equals("ignore")
                    ? OutOfRangeLabels.IGNORE : OutOfRangeLabels.ERROR, d.colourMasks());
            return VocDataset.open(root, list(d, root, split, VocDataset.listFile(root, split)), split, config);
        }
        ClassFolderConfig config = new ClassFolderConfig(d.classNames(), palette(d), d.folderPrefix(),
                d.imagesFolder(), d.defectFree(), d.maskThreshold());
        return ClassFolderDataset.open(root, list(d, root, split, ClassFolderDataset.listFile(root, split)), split,
                config);
    }

    private static Path list(DataSection d, Path root, String split, Path own) {
        if (d.lists().isBlank()) {
            return own;
        }
        Path dir = Path.of(d.lists());
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": split-list folder not found (data.lists); write the lists "
                    + "with 'peft4j split " + root + " --output " + dir + "'");
        }
        return ContainedPath.resolve(dir, split, ".txt", "split name");
    }

    /** The configured class colours, or the VOC colour map when none are given. */
    public static Palette palette(DataSection d) {
        if (d.palette().isEmpty()) {
            return Palette.voc();
        }
        int[] rgb = new int[3 * d.palette().size()];
        for (int i = 0; i < d.palette().size(); i++) {
            List<Integer> c = d.palette().get(i);
            rgb[3 * i] = c.get(0);
            rgb[3 * i + 1] = c.get(1);
            rgb[3 * i + 2] = c.get(2);
        }
        return Palette.of(rgb);
    }

    private static Path root(DataSection d) {
        if (d.root().isBlank()) {
            throw new IllegalArgumentException("data.root is required: the data set's folder");
        }
        Path root = Path.of(d.root());
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root + ": data folder not found (data.root; relative paths are "
                    + "relative to the working directory " + Path.of("").toAbsolutePath() + ")");
        }
        return root;
    }
}
