package ai.peft4j.app;

import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.split.SampleIdList;
import ai.peft4j.data.split.SplitRatios;
import ai.peft4j.data.voc.VocDataset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code peft4j split}: seeded train/val/test lists, as the published {@code dataset_split.py}. */
@Command(name = "split", mixinStandardHelpOptions = true,
        description = {"Write a seeded train/val/test split of a data set as the list files train.txt, val.txt, "
            + "test.txt and trainval.txt (one sample id per line).",
            "As the published dataset_split.py: trainval = int(n x (train+val) share) ids drawn at random, train = "
                + "int(trainval x train share) of those, val the rest, test the complement. The ids are sorted "
                + "before drawing, so a seed gives the same split on every machine.",
            "VOC layout: ids are the mask names in SegmentationClass. Class-folder layout (e.g. magnetic tile): "
                + "ids are <folder>/<name>, e.g. MT_Crack/exp1_num_3191."})
final class SplitCommand implements Callable<Integer> {

    /** Data set layouts. */
    enum Layout { auto, voc, folders }

    @Parameters(index = "0", paramLabel = "DATA", description = "The data set's root folder.")
    Path root;

    @Option(names = "--layout", defaultValue = "auto", description = "voc, folders (one folder per class) or auto: "
            + "voc where JPEGImages (or VOC2007/JPEGImages) exists (default: ${DEFAULT-VALUE}).")
    Layout layout;

    @Option(names = "--ratios", defaultValue = "6:2:2", description = "train:val:test proportions "
            + "(default: ${DEFAULT-VALUE}).")
    String ratios;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the draw (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--output", description = "Folder for the lists (default: ImageSets/Segmentation in the data "
            + "set).")
    Path output;

    @Option(names = "--folder-prefix", defaultValue = "MT_", description = "Prefix of class folders in the "
            + "folders layout (default: ${DEFAULT-VALUE}).")
    String folderPrefix;

    @Option(names = "--images-folder", defaultValue = "Imgs", description = "Sub-folder of a class folder holding "
            + "its pairs in the folders layout; empty for the class folder itself (default: ${DEFAULT-VALUE}).")
    String imagesFolder;

    @Option(names = "--force", description = "Replace existing lists that differ from the new ones.")
    boolean force;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root + ": data folder not found");
        }
        SplitRatios parsed = SplitRatios.parse(ratios);
        Layout chosen = layout == Layout.auto ? detect(root) : layout;
        List<String> ids;
        Path dir;
        if (chosen == Layout.voc) {
            ids = VocDataset.maskIds(root);
            dir = VocDataset.listFile(root, "train").getParent();
        } else {
            ClassFolderConfig config = new ClassFolderConfig(List.of(), null, folderPrefix, imagesFolder, null, 128);
            ids = ClassFolderDataset.ids(root, config);
            dir = ClassFolderDataset.listFile(root, "train").getParent();
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException(root + ": no samples found to split");
        }
        if (output != null) {
            dir = output;
        }
        for (String id : ids) {
            String problem = SampleIdList.problem(id);
            if (problem != null) {
                throw new IllegalArgumentException(root + ": sample id '" + ContainedPath.printable(id) + "' "
                        + problem + "; rename its files so that a split list can name them");
            }
        }
        DatasetSplit split = DatasetSplit.of(ids, parsed, seed);
        if (!force) {
            for (Map.Entry<String, List<String>> e : split.lists().entrySet()) {
                Path file = dir.resolve(e.getKey() + ".txt");
                if (Files.exists(file) && !Files.readString(file, StandardCharsets.UTF_8)
                        .equals(SampleIdList.text(e.getValue()))) {
                    throw new IllegalArgumentException(file + ": a different split list exists; use --force to "
                            + "replace it (or --output to write elsewhere)");
                }
            }
        }
        split.write(dir);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%d samples (%s layout) split %s with seed %d into %s%n", ids.size(), chosen, parsed, seed, dir);
        out.printf("  train.txt     %6d%n  val.txt       %6d%n  test.txt      %6d%n  trainval.txt  %6d%n",
                split.train().size(), split.val().size(), split.test().size(), split.trainval().size());
        out.flush();
        return 0;
    }

    private static Layout detect(Path root) {
        if (Files.isDirectory(VocDataset.layoutRoot(root).resolve("JPEGImages"))) {
            return Layout.voc;
        }
        return Layout.folders;
    }
}
