package ai.peft4j.app.run;

import ai.peft4j.app.config.DataSection;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.data.DataException;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.OutOfRangeLabels;
import ai.peft4j.data.Problem;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
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
            if (d.binaryMasks() && d.classNames().size() != 2) {
                throw new IllegalArgumentException("data.binary_masks reads masks with one defect class, but "
                        + "data.class_names names " + d.classNames().size() + ": " + d.classNames()
                        + " (give two, background first, e.g. [background, crack])");
            }
            VocConfig config = new VocConfig(d.classNames(), palette(d), d.outOfRange().equals("ignore")
                    ? OutOfRangeLabels.IGNORE : OutOfRangeLabels.ERROR, d.colourMasks(),
                    d.binaryMasks() ? d.maskThreshold() : 0);
            return VocDataset.open(root, list(d, root, split, VocDataset.listFile(root, split)), split, config);
        }
        ClassFolderConfig config = new ClassFolderConfig(d.classNames(), palette(d), d.folderPrefix(),
                d.imagesFolder(), d.defectFree(), d.maskThreshold());
        return ClassFolderDataset.open(root, list(d, root, split, ClassFolderDataset.listFile(root, split)), split,
                config);
    }

    /**
     * Fails, naming the first bad file and counting the others, when a file of {@code sets} (null ones skipped)
     * cannot be decoded: training learns of a damaged validation image before it starts, not at the first
     * validation. Headers and file ends are read, not pixels (see {@code ImageDecoder.probe}).
     */
    public static void requireReadable(ImageDataset... sets) {
        List<Problem> problems = new ArrayList<>();
        int pairs = 0;
        for (ImageDataset set : sets) {
            if (set != null) {
                problems.addAll(set.checkFiles().problems());
                pairs += set.size();
            }
        }
        if (!problems.isEmpty()) {
            StringBuilder others = new StringBuilder();
            for (Problem p : problems.subList(1, Math.min(problems.size(), 4))) {
                others.append(others.length() == 0 ? "" : ", ").append(p.file());
            }
            if (problems.size() > 4) {
                others.append(" and ").append(problems.size() - 4).append(" more");
            }
            throw new DataException(problems.get(0).file(), problems.get(0).message() + (problems.size() == 1 ? ""
                    : " (" + (problems.size() - 1) + " more unreadable: " + others + ")") + "; found checking the "
                    + pairs + " pairs before training: replace the file" + (problems.size() == 1 ? "" : "s")
                    + " or remove " + (problems.size() == 1 ? "its pair" : "their pairs") + " from the split list");
        }
    }

    /** Makes a run's output folder; a path that cannot be one fails naming it and the option that sets it. */
    public static void createRunDirectory(Path out) {
        try {
            Files.createDirectories(out);
        } catch (FileSystemException e) {
            // A parent that is a regular file comes back as just that parent's name.
            String file = e.getFile() == null || Path.of(e.getFile()).equals(out) ? "" : e.getFile() + ": ";
            String reason = e.getReason() != null ? e.getReason() : e instanceof FileAlreadyExistsException
                    ? "exists and is not a folder" : e instanceof NoSuchFileException ? "no such file or folder"
                    : e instanceof AccessDeniedException ? "permission denied" : "cannot be made there";
            throw new IllegalArgumentException(out + ": cannot create the run directory (" + file + reason
                    + "); choose another with --out or output in the run file");
        } catch (IOException e) {
            throw new IllegalArgumentException(out + ": cannot create the run directory (" + e.getMessage()
                    + "); choose another with --out or output in the run file");
        }
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
