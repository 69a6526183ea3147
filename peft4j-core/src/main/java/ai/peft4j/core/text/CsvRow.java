package ai.peft4j.core.text;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * One row of a CSV file as RFC 4180 writes it (and spreadsheets and Python's {@code csv} module read it), through
 * Apache Commons CSV: a field holding a comma, a quote or a line break is quoted, with its quotes doubled; other
 * fields are written as they are.
 */
public final class CsvRow {
    // Minimal quoting keeps numeric columns bare, so existing readers of our files see the same text.
    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setRecordSeparator("").get();

    private CsvRow() {}

    /** The fields joined with commas, each quoted where it must be; no line ending. */
    public static String format(List<String> fields) {
        return FORMAT.format(fields.stream().map(f -> f == null ? "" : f).toArray());
    }

    /** One field, quoted where it must be. */
    public static String field(String value) {
        return format(List.of(value == null ? "" : value));
    }

    /**
     * Splits one row written by {@link #format} (or any RFC 4180 writer) back into its fields.
     *
     * @throws IllegalArgumentException when the row is not valid CSV (e.g. a quoted field is not closed)
     */
    public static List<String> parse(String row) {
        try (CSVParser parser = CSVParser.builder().setFormat(FORMAT).setReader(new StringReader(row)).get()) {
            List<CSVRecord> records = parser.getRecords();
            if (records.size() != 1) {
                throw new IllegalArgumentException("not one CSV row: " + row);
            }
            return records.get(0).toList();
        } catch (UncheckedIOException | IOException e) {
            throw new IllegalArgumentException("unclosed quote in CSV row: " + row, e);
        }
    }
}
