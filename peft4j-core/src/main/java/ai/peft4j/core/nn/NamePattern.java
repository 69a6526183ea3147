package ai.peft4j.core.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Matches dotted module or parameter names. A pattern is a glob where {@code *} stands for any run of characters
 * (dots included), or, prefixed with {@code re:}, a Java regular expression that must match the whole name.
 * Examples: {@code swin_backbone.*}, {@code *.attn.qkv.*}, {@code re:Att[1-4]\..*}.
 */
public final class NamePattern implements Predicate<String> {
    private final String source;
    private final Pattern regex;

    private NamePattern(String source, Pattern regex) {
        this.source = source;
        this.regex = regex;
    }

    public static NamePattern of(String pattern) {
        if (pattern.startsWith("re:")) {
            return new NamePattern(pattern, Pattern.compile(pattern.substring(3)));
        }
        String[] parts = pattern.split("\\*", -1);
        StringBuilder rx = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                rx.append(".*");
            }
            if (!parts[i].isEmpty()) {
                rx.append(Pattern.quote(parts[i]));
            }
        }
        return new NamePattern(pattern, Pattern.compile(rx.toString()));
    }

    /** A predicate accepting names that match at least one pattern. */
    public static Predicate<String> anyOf(String... patterns) {
        List<NamePattern> ps = new ArrayList<>();
        for (String p : patterns) {
            ps.add(of(p));
        }
        return name -> ps.stream().anyMatch(p -> p.test(name));
    }

    @Override
    public boolean test(String name) {
        return regex.matcher(name).matches();
    }

    @Override
    public String toString() {
        return source;
    }
}
