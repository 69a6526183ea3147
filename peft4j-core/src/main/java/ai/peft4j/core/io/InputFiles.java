package ai.peft4j.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The files a command reads, by real path, so that its writers can refuse to replace one. Names checked with
 * {@link ContainedPath} stay inside the output folder, but that folder may itself be the data folder, or reach it
 * through a link: only the real paths tell that a prediction would land on the mask it was scored against.
 */
public final class InputFiles {
    private final Map<Path, Path> byRealPath;

    private InputFiles(Map<Path, Path> byRealPath) {
        this.byRealPath = byRealPath;
    }

    /** The existing files among {@code files}; links are followed to the files they name. */
    public static InputFiles of(Collection<Path> files) {
        Map<Path, Path> m = new HashMap<>();
        for (Path f : files) {
            Path real = realPath(f);
            if (real != null) {
                m.putIfAbsent(real, f);
            }
        }
        return new InputFiles(m);
    }

    /** The input that writing {@code target} would replace, or null when it would replace none. */
    public Path inputAt(Path target) {
        Path real = realPath(target);
        return real == null ? null : byRealPath.get(real);
    }

    /**
     * Throws when writing {@code target} would replace an input.
     *
     * @param hint what to do instead, e.g. {@code "choose an --out folder outside the data set"}
     */
    public void refuseOverwrite(Path target, String hint) {
        Path input = inputAt(target);
        if (input != null) {
            throw new IllegalArgumentException(target + ": this output would overwrite the input " + input
                    + "; " + hint);
        }
    }

    /** The number of distinct input files. */
    public int size() {
        return byRealPath.size();
    }

    private static Path realPath(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return file.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot resolve its real path: " + e.getMessage(), e);
        }
    }
}
