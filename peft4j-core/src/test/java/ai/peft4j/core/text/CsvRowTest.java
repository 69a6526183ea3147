package ai.peft4j.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CsvRowTest {
    @Test
    void fieldsWithCommasQuotesAndLineBreaks_areQuotedAndRoundTrip() {
        List<String> fields = List.of("frame 1, left.png", "say \"hi\"", "plain", "", "two\nlines", "cr\r", "\"");
        String row = CsvRow.format(fields);
        assertEquals("\"frame 1, left.png\",\"say \"\"hi\"\"\",plain,,\"two\nlines\",\"cr\r\",\"\"\"\"", row);
        assertEquals(fields, CsvRow.parse(row));
    }

    @Test
    void plainFields_areWrittenAsTheyAre() {
        assertEquals("a,b.png,0.25", CsvRow.format(List.of("a", "b.png", "0.25")));
        assertEquals(List.of("a", "b.png", "0.25"), CsvRow.parse("a,b.png,0.25"));
        assertEquals(List.of("", ""), CsvRow.parse(","));
    }

    @Test
    void unclosedQuote_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> CsvRow.parse("\"open,1"));
    }
}
