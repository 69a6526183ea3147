package ai.peft4j.data;

import java.nio.file.Path;

/**
 * One thing wrong with a data set, as a check reports it.
 *
 * @param file the file at fault, or null for a problem of the whole data set
 * @param message what is wrong
 */
public record Problem(Path file, String message) {
    @Override
    public String toString() {
        return file == null ? message : file + ": " + message;
    }
}
