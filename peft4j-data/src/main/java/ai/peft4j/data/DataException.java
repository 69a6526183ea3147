package ai.peft4j.data;

import java.nio.file.Path;

/**
 * A data file that cannot be used: it names the file and says what is wrong with it. It is an
 * {@link IllegalArgumentException} because the cause is always the input, never the program, so that callers
 * reporting bad input (the CLI among them) print its message without a stack trace.
 */
public class DataException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String problem;

    public DataException(Path file, String problem) {
        this(file, problem, null);
    }

    public DataException(Path file, String problem, Throwable cause) {
        super((file == null ? "" : file + ": ") + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /** The file at fault, or null when the problem is not tied to one file. */
    public Path file() {
        return file;
    }

    /** What is wrong, without the file name. */
    public String problem() {
        return problem;
    }

    public Problem toProblem() {
        return new Problem(file, problem);
    }
}
