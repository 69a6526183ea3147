package ai.peft4j.core.state;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;

/**
 * Writes files so that they appear complete or not at all: content goes to a temporary sibling, is forced to disk,
 * and is renamed over the target. An interrupted write leaves the previous file intact, and a hidden temporary
 * ({@code .NAME<digits>.tmp}) that {@link #isTemporary} recognises, so that the next run can remove it.
 */
public final class AtomicFiles {
    /** {@code Files.createTempFile}'s names for our prefix and suffix: the prefix, a random number, the suffix. */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\d+\\.tmp");

    private AtomicFiles() {}

    /** Something that writes the whole content to a stream. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} atomically. It gets the permissions a plain new file gets under the process's umask
     * (not the 0600 of a temporary file). A failure names the target, e.g. {@code runs/x/last.safetensors: No space
     * left on device}.
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = createTemporary(target);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20)) {
                writer.writeTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw naming(target, e);
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * A new empty hidden file beside {@code target} (its folder created when missing) to write it to before it is
     * moved over the target, named as {@link #isTemporary} recognises, with the mode of a plain new file.
     */
    public static Path createTemporary(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "." + target.getFileName(), ".tmp", plainFileMode(dir));
    }

    /** Whether {@code file}'s name is that of a temporary {@link #write} leaves when it is interrupted. */
    public static boolean isTemporary(Path file) {
        Path name = file.getFileName();
        return name != null && TEMPORARY.matcher(name.toString()).matches();
    }

    /**
     * The mode to create the temporary with: 0666, which the system reduces by the umask (and a default ACL) as it
     * does for any new file. Without it, createTempFile asks for 0600. Nothing on a file system without POSIX modes.
     */
    private static FileAttribute<?>[] plainFileMode(Path dir) {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-rw-rw-"))};
    }

    /** The exception with the target's name in front of the reason, as a user needs it; the original as cause. */
    private static IOException naming(Path target, IOException e) {
        String reason = e.getMessage();
        if (e instanceof FileSystemException f) {
            // Without a reason the message is only the path, which may be the temporary's or the directory's.
            reason = f.getReason() != null ? f.getReason() : switch (f.getClass().getSimpleName()) {
                case "AccessDeniedException" -> "permission denied";
                case "NoSuchFileException" -> "no such file or directory";
                case "FileAlreadyExistsException" -> "exists and is not a directory";
                default -> f.getClass().getSimpleName();
            } + (f.getFile() == null ? "" : " (" + f.getFile() + ")");
        }
        if (reason == null) {
            reason = e.toString();
        }
        if (reason.startsWith(target.toString())) {
            return e;
        }
        return new IOException(target + ": " + reason, e);
    }
}
