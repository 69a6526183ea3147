package ai.peft4j.app;

import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.split.SampleIdList;
import ai.peft4j.infer.video.ImageFolderSource;
import ai.peft4j.infer.video.Mp4Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code peft4j clip}: an H.264 MP4 made from still images, to try the stream commands on known data. */
@Command(name = "clip", mixinStandardHelpOptions = true,
        description = {"Write the images of a folder (file-name order, or the order of an id list) as an H.264 MP4, "
                + "e.g. the NEU-Seg test images:",
            "  peft4j clip ../shared/data/neu-seg/JPEGImages --ids ../shared/data/neu-seg/ImageSets/Segmentation/"
                + "test.txt --out runs/neu-test.mp4"})
final class ClipCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Folder of images.")
    Path folder;

    @Option(names = "--ids", paramLabel = "FILE", description = "A list of image ids, one per line (a VOC split "
            + "list): <DIR>/<id>.jpg or .png, in the list's order.")
    Path ids;

    @Option(names = "--limit", description = "At most this many frames.")
    Integer limit;

    @Option(names = "--fps", defaultValue = "5", description = "(default: ${DEFAULT-VALUE})")
    double fps;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The MP4 to write.")
    Path out;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Path> files = ids == null ? ImageFolderSource.open(folder, fps).files() : listed();
        if (limit != null) {
            files = files.subList(0, Math.min(limit, files.size()));
        }
        try (Mp4Writer w = Mp4Writer.create(out, fps)) {
            for (Path f : files) {
                w.write(ImageDecoder.readRgb(f));
            }
        }
        spec.commandLine().getOut().printf("%d frames at %.1f fps -> %s%n", files.size(), fps, out);
        return 0;
    }

    private List<Path> listed() {
        List<Path> files = new ArrayList<>();
        for (SampleIdList.Entry e : SampleIdList.read(ids, "ids are image names without extension in " + folder)) {
            Path jpg = ContainedPath.resolve(folder, e.id(), ".jpg", "image id");
            Path png = ContainedPath.resolve(folder, e.id(), ".png", "image id");
            if (Files.isRegularFile(jpg)) {
                files.add(jpg);
            } else if (Files.isRegularFile(png)) {
                files.add(png);
            } else {
                throw new DataException(ids, "id '" + e.id() + "' (line " + e.line() + ") has no image "
                        + jpg.getFileName() + " or " + png.getFileName() + " in " + folder);
            }
        }
        if (files.isEmpty()) {
            throw new DataException(ids, "the id list is empty");
        }
        return files;
    }
}
