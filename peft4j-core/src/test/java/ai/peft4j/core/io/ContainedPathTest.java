package ai.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainedPathTest {
    @TempDir
    Path tmp;

    @Test
    void plainNames_resolveInsideTheFolderWhole() {
        Path dir = tmp.resolve("masks");
        assertEquals(dir.resolve("a.png"), ContainedPath.resolve(dir, "a", ".png", "sample id"));
        assertEquals(dir.resolve("sample one.png"), ContainedPath.resolve(dir, "sample one", ".png", "sample id"));
        assertEquals(dir.resolve("MT_Crack").resolve("exp1.png"),
                ContainedPath.resolve(dir, "MT_Crack/exp1", ".png", "sample id"));
        assertEquals(dir.resolve("..a..b"), ContainedPath.resolve(dir, "..a..b", "sample id"));
        assertEquals(dir.resolve(" leading"), ContainedPath.resolve(dir, " leading", "sample id"));
        assertNull(ContainedPath.problem("x/y.z"));
    }

    @Test
    void namesThatLeaveTheFolder_areRefusedWithTheReason() {
        Path dir = tmp.resolve("masks");
        List<String[]> cases = List.of(
                new String[] {"/etc/passwd", "leaves the folder (an absolute path)"},
                new String[] {"\\x", "leaves the folder (an absolute path)"},
                new String[] {"..", "leaves the folder (a '..' segment)"},
                new String[] {"../../x", "leaves the folder (a '..' segment)"},
                new String[] {"a/../b", "leaves the folder (a '..' segment)"},
                new String[] {"a\\..\\..\\b", "leaves the folder (a '..' segment)"},
                new String[] {"", "is empty"},
                new String[] {"a//b", "has an empty or '.' segment; give the name as folder/name"},
                new String[] {"./a", "has an empty or '.' segment; give the name as folder/name"},
                new String[] {"a/", "has an empty or '.' segment; give the name as folder/name"},
                new String[] {"a\u0000b", "holds the control character U+0000"},
                new String[] {"a\nb", "holds the control character U+000A"},
                new String[] {"a\rb", "holds the control character U+000D"});
        for (String[] c : cases) {
            NameOutsideFolderException e = assertThrows(NameOutsideFolderException.class,
                    () -> ContainedPath.resolve(dir, c[0], ".png", "sample id"), c[0]);
            assertEquals(c[1], e.problem(), c[0]);
            assertEquals(c[0], e.name());
            assertEquals(c[1], ContainedPath.problem(c[0]), c[0]);
        }
        NameOutsideFolderException e = assertThrows(NameOutsideFolderException.class,
                () -> ContainedPath.resolve(dir, "../../x", ".png", "sample id"));
        assertEquals("sample id '../../x' leaves the folder (a '..' segment)", e.getMessage());
        // Control characters are escaped, so that the message stays one line.
        e = assertThrows(NameOutsideFolderException.class, () -> ContainedPath.resolve(dir, "a\nb", "sample id"));
        assertEquals("sample id 'a\\u000ab' holds the control character U+000A", e.getMessage());
    }

    @Test
    void relativeFolder_comparesNormalisedPaths() {
        Path dir = Path.of("out", ".", "predictions");
        assertEquals(dir.resolve("a.png"), ContainedPath.resolve(dir, "a", ".png", "sample id"));
    }

    @Test
    void inputFiles_findTheInputBehindALinkedOutputFolder() throws Exception {
        Path masks = Files.createDirectories(tmp.resolve("data/SegmentationClass"));
        Path mask = Files.write(masks.resolve("a.png"), new byte[] {1, 2, 3});
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.createSymbolicLink(out.resolve("predictions"), masks);
        InputFiles inputs = InputFiles.of(List.of(mask, tmp.resolve("data/missing.png")));
        assertEquals(1, inputs.size());
        Path target = out.resolve("predictions/a.png");
        assertEquals(mask, inputs.inputAt(target));
        assertNull(inputs.inputAt(out.resolve("predictions/b.png")));
        assertNull(inputs.inputAt(tmp.resolve("elsewhere/a.png")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> inputs.refuseOverwrite(target, "choose another folder"));
        assertEquals(target + ": this output would overwrite the input " + mask + "; choose another folder",
                e.getMessage());
    }
}
