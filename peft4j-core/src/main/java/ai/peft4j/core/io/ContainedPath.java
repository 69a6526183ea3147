package ai.peft4j.core.io;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Resolves a name that comes from data (a sample id in a split list, an input's file name) inside a folder. Such a
 * name is a relative path of plain segments separated by {@code /}: absolute names, {@code ..} and {@code .}
 * segments, empty names and segments, and control characters are refused, as is anything whose normalised path
 * leaves the folder, so that a line of a list can neither read nor write outside the folders it belongs to.
 */
public final class ContainedPath {
    private ContainedPath() {}

    /**
     * {@code folder/<name><suffix>}, e.g. {@code resolve(masks, id, ".png")}.
     *
     * @param what what the name is, for the message (e.g. {@code "sample id"})
     * @throws NameOutsideFolderException when the name is not a plain relative name inside {@code folder}
     */
    public static Path resolve(Path folder, String name, String suffix, String what) {
        String problem = problem(name);
        Path resolved = null;
        if (problem == null) {
            try {
                resolved = folder.resolve(name + suffix);
            } catch (InvalidPathException e) {
                problem = "is not a valid file name here (" + e.getReason() + ")";
            }
        }
        if (problem == null && !inside(folder, resolved)) {
            problem = "leaves the folder";
        }
        if (problem != null) {
            throw new NameOutsideFolderException(what, name, problem);
        }
        return resolved;
    }

    /** {@code folder/<name>}: {@link #resolve(Path, String, String, String)} without a suffix. */
    public static Path resolve(Path folder, String name, String what) {
        return resolve(folder, name, "", what);
    }

    /**
     * Why {@code name} is not a plain relative name (e.g. {@code "leaves the folder ('..' segment)"}), or null
     * when it is one. The check depends on the name alone, so that a name refused here is refused everywhere.
     */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                return String.format("holds the control character U+%04X", (int) c);
            }
        }
        // Both separators: a backslash is an ordinary character on Linux but a separator on Windows, and a list
        // written on one is read on the other.
        // A Windows drive ("C:x") is left to the normalised-path check, which knows the platform's rules.
        if (name.startsWith("/") || name.startsWith("\\")) {
            return "leaves the folder (an absolute path)";
        }
        for (String segment : name.split("[/\\\\]", -1)) {
            if (segment.equals("..")) {
                return "leaves the folder (a '..' segment)";
            }
            if (segment.isEmpty() || segment.equals(".")) {
                return "has an empty or '.' segment; give the name as folder/name";
            }
        }
        return null;
    }

    /** {@code name} with control characters escaped in Java notation, so that a message stays on one line. */
    public static String printable(String name) {
        if (name == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            sb.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }

    private static boolean inside(Path folder, Path resolved) {
        Path base = folder.toAbsolutePath().normalize();
        Path p = resolved.toAbsolutePath().normalize();
        return p.startsWith(base) && !p.equals(base);
    }
}
