package ai.peft4j.core.text;

import java.util.ArrayList;
import java.util.List;

/**
 * One row of a CSV file as RFC 4180 writes it (and spreadsheets and Python's {@code csv} module read it): a field
 * holding a comma, a quote or a line break is quoted, with its quotes doubled; other fields are written as they are.
 */
public final class CsvRow {
    private CsvRow() {}

    /** The fields joined with commas, each quoted where it must be; no line ending. */
    public static String format(List<String> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(field(fields.get(i)));
        }
        return sb.toString();
    }

    /** One field, quoted where it must be. */
    public static String field(String value) {
        String v = value == null ? "" : value;
        boolean quote = false;
        for (int i = 0; i < v.length() && !quote; i++) {
            char c = v.charAt(i);
            quote = c == ',' || c == '"' || c == '\n' || c == '\r';
        }
        return quote ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }

    /**
     * Splits one row written by {@link #format} (or any RFC 4180 writer) back into its fields.
     *
     * @throws IllegalArgumentException when a quoted field is not closed
     */
    public static List<String> parse(String row) {
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int i = 0;
        while (true) {
            if (i < row.length() && row.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= row.length()) {
                        throw new IllegalArgumentException("unclosed quote in CSV row: " + row);
                    }
                    char c = row.charAt(i++);
                    if (c == '"') {
                        if (i < row.length() && row.charAt(i) == '"') {
                            f.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        f.append(c);
                    }
                }
            }
            while (i < row.length() && row.charAt(i) != ',') {
                f.append(row.charAt(i++));
            }
            fields.add(f.toString());
            f.setLength(0);
            if (i >= row.length()) {
                return fields;
            }
            i++;
        }
    }
}
