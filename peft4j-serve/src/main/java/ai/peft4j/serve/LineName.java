package ai.peft4j.serve;

import java.util.regex.Pattern;

/** The name of a product line, which is also its adapter's folder name: a plain name, never a path. */
final class LineName {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private LineName() {}

    /** {@code name} if it is a plain folder name; otherwise a refusal that says what a name may hold. */
    static String require(String name) {
        if (name == null || name.isEmpty()) {
            throw new ApiException(400, "name the product line: ?line=NAME");
        }
        if (!PLAIN.matcher(name).matches() || name.contains("..")) {
            throw new ApiException(400, "line name '" + shorten(name) + "' is not a plain name: use 1 to 64 "
                    + "letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'");
        }
        return name;
    }

    static boolean isPlain(String name) {
        return PLAIN.matcher(name).matches() && !name.contains("..");
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
