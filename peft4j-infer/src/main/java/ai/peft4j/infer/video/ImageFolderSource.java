package ai.peft4j.infer.video;

import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The images of a folder as frames, in file-name order (sorted by the string, so {@code 000010.jpg} follows
 * {@code 000009.jpg}, as zero-padded camera dumps are named). Sub-folders and files of other types are skipped.
 */
public final class ImageFolderSource implements FrameSource {
    /** Extensions read as images. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "tif", "tiff");

    private final Path folder;
    private final List<Path> files;
    private final double fps;
    private int position;

    private ImageFolderSource(Path folder, List<Path> files, double fps) {
        this.folder = folder;
        this.files = files;
        this.fps = fps;
    }

    /** Lists the images of {@code folder}; {@code fps} is the rate written into overlay videos. */
    public static ImageFolderSource open(Path folder, double fps) throws IOException {
        return open(folder, fps, Integer.MAX_VALUE);
    }

    /** The first {@code limit} images of {@code folder} in file-name order: a fixed-length run over a large set. */
    public static ImageFolderSource open(Path folder, double fps, int limit) throws IOException {
        if (!(fps > 0)) {
            throw new IllegalArgumentException("fps must be positive, got " + fps);
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(Files::isRegularFile).filter(ImageFolderSource::isImage).sorted(
                    (a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        } catch (NoSuchFileException e) {
            throw new DataException(folder, "folder not found");
        } catch (NotDirectoryException e) {
            throw new DataException(folder, "not a folder (give a video file with --video)");
        }
        if (files.isEmpty()) {
            throw new DataException(folder, "holds no images (." + String.join(", .", EXTENSIONS.stream().sorted()
                    .toList()) + ")");
        }
        return new ImageFolderSource(folder, files.subList(0, Math.min(limit, files.size())), fps);
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The files in the order they are read. */
    public List<Path> files() {
        return files;
    }

    @Override
    public Frame next() {
        if (position >= files.size()) {
            return null;
        }
        Path f = files.get(position);
        String n = f.getFileName().toString();
        Frame frame = new Frame(position, n.substring(0, n.lastIndexOf('.')), position / fps, ImageDecoder.readRgb(f));
        position++;
        return frame;
    }

    @Override
    public long frameCount() {
        return files.size();
    }

    @Override
    public double fps() {
        return fps;
    }

    @Override
    public String describe() {
        return folder + " (" + files.size() + " images)";
    }

    @Override
    public void close() {
        position = files.size();
    }
}
