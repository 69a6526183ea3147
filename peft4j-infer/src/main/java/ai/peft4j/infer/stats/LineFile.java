package ai.peft4j.infer.stats;

import ai.peft4j.core.state.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A text file written line by line as a stream goes, into a hidden temporary sibling that {@link #close} renames
 * over the target: the file appears complete (with every line written before the stream stopped) or not at all.
 */
final class LineFile implements AutoCloseable {
    private final Path target;
    private final Path temporary;
    private final BufferedWriter out;
    private boolean closed;

    LineFile(Path target) throws IOException {
        this.target = target;
        this.temporary = AtomicFiles.createTemporary(target);
        this.out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8);
    }

    void line(String text) throws IOException {
        try {
            out.write(text);
            out.write('\n');
        } catch (IOException e) {
            throw named(e);
        }
    }

    /** A write error names the file being written: the JDK's says only "No space left on device". */
    private IOException named(IOException e) {
        return e instanceof FileSystemException ? e : new FileSystemException(target.toString(), null,
                e.getMessage());
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            try {
                out.close();
            } catch (IOException e) {
                throw named(e);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
