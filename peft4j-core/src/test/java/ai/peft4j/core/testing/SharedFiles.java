package ai.peft4j.core.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates the reference fixtures and data sets shared beside the repository. The directory is the environment
 * variable {@code PEFT4J_SHARED}, else the system property {@code peft4j.shared} (the build sets it to
 * {@code ../shared} beside the repository root), else {@code ../shared}.
 * When a file is absent a test is skipped with the reason, except under CI ({@code CI=true}), where the shared
 * directory is always present and its absence is a failure rather than a silent pass.
 */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path root() {
        String p = System.getenv("PEFT4J_SHARED");
        if (p == null || p.isBlank()) {
            p = System.getProperty("peft4j.shared");
        }
        if (p == null || p.isBlank()) {
            p = "../shared";
        }
        return Paths.get(p).toAbsolutePath().normalize();
    }

    /** The path of a shared file, or a skipped test (a failed one under CI) when it is not there. */
    public static Path require(String relative) {
        Path file = root().resolve(relative);
        if (!Files.exists(file)) {
            String why = "reference file " + file + " not found (set PEFT4J_SHARED to the shared directory)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why + "; CI must run with the shared directory beside the clone");
            }
            assumeTrue(false, why);
        }
        return file;
    }
}
