package ai.peft4j.core.io;

/**
 * A name from data that {@link ContainedPath} refuses. It is an {@link IllegalArgumentException}: the cause is the
 * input, and callers add where the name was found (file and line) before it reaches the user.
 */
public final class NameOutsideFolderException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final String problem;

    public NameOutsideFolderException(String what, String name, String problem) {
        super(what + " '" + ContainedPath.printable(name) + "' " + problem);
        this.name = name;
        this.problem = problem;
    }

    /** The name as found. */
    public String name() {
        return name;
    }

    /** What is wrong with it, e.g. {@code "leaves the folder (a '..' segment)"}. */
    public String problem() {
        return problem;
    }
}
