package ai.peft4j.data.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.peft4j.data.DataException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleIdListTest {
    private static final String LAYOUT = "ids are names";

    @TempDir
    Path tmp;

    @Test
    void writtenIds_readBackIdForId() throws Exception {
        List<String> ids = List.of("a", "sample one", "two  inner spaces", "MT_Crack/exp1_num_3191", "é ü", "x.y");
        Path list = tmp.resolve("train.txt");
        SampleIdList.write(list, ids);
        assertEquals("a\nsample one\ntwo  inner spaces\nMT_Crack/exp1_num_3191\né ü\nx.y\n",
                Files.readString(list, StandardCharsets.UTF_8));
        assertEquals(ids, SampleIdList.readIds(list, LAYOUT));
    }

    @Test
    void lines_areWholeIdsWithSurroundingWhitespaceStrippedAndBlankLinesSkipped() throws Exception {
        Path list = tmp.resolve("test.txt");
        Files.writeString(list, "\uFEFFfirst\r\n\n   \n  sample one \t\r\nlast", StandardCharsets.UTF_8);
        assertEquals(List.of(new SampleIdList.Entry("first", 1), new SampleIdList.Entry("sample one", 4),
                new SampleIdList.Entry("last", 5)), SampleIdList.read(list, LAYOUT));
    }

    @Test
    void refusedId_namesFileLineAndReason() throws Exception {
        Path list = tmp.resolve("test.txt");
        Files.writeString(list, "a\n\nb\n../../x\n");
        DataException e = assertThrows(DataException.class, () -> SampleIdList.read(list, LAYOUT));
        assertEquals(list, e.file());
        assertEquals("line 4: sample id '../../x' leaves the folder (a '..' segment); ids are names", e.problem());
        Files.writeString(list, "/etc/passwd\n");
        e = assertThrows(DataException.class, () -> SampleIdList.read(list, LAYOUT));
        assertEquals("line 1: sample id '/etc/passwd' leaves the folder (an absolute path); ids are names",
                e.problem());
        Files.writeString(list, "a\u0000b\n");
        e = assertThrows(DataException.class, () -> SampleIdList.read(list, LAYOUT));
        assertEquals("line 1: sample id 'a\\u0000b' holds the control character U+0000; ids are names", e.problem());
    }

    @Test
    void idsThatWouldNotReadBack_areRefusedBeforeTheFileIsWritten() {
        Path list = tmp.resolve("train.txt");
        for (String id : List.of(" lead", "trail ", "a\nb", "", "../x")) {
            assertThrows(IllegalArgumentException.class, () -> SampleIdList.write(list, List.of("ok", id)), id);
            assertFalse(Files.exists(list), id);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SampleIdList.text(List.of("trail ")));
        assertEquals("sample id 'trail ' begins or ends with whitespace, which a split list cannot keep; rename its "
                + "files", e.getMessage());
    }
}
