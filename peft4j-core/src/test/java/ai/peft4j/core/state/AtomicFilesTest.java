package ai.peft4j.core.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path tmp;

    @Test
    void write_givesThePermissionsOfAPlainNewFile_notTheTemporaryFilesOwnerOnlyMode() throws IOException {
        assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Set<PosixFilePermission> plain = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("probe")));
        Path target = tmp.resolve("last.safetensors");
        AtomicFiles.write(target, out -> out.write(1));
        assertEquals(PosixFilePermissions.toString(plain),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        // Replacing a file whose mode was narrowed gives the plain mode again, as writing a new file would.
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        AtomicFiles.write(target, out -> out.write(2));
        assertEquals(PosixFilePermissions.toString(plain),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void createTemporary_isAHiddenSiblingThatIsTemporaryRecognises_withThePlainMode() throws IOException {
        Path target = tmp.resolve("out").resolve("stats.csv");
        Path t = AtomicFiles.createTemporary(target);
        assertEquals(target.getParent(), t.getParent());
        assertTrue(t.getFileName().toString().startsWith(".stats.csv"), t.toString());
        assertTrue(AtomicFiles.isTemporary(t), t.toString());
        if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Path probe = Files.createFile(tmp.resolve("probe"));
            assertEquals(Files.getPosixFilePermissions(probe), Files.getPosixFilePermissions(t));
        }
    }

    @Test
    void write_underUmask022_gives0644() throws IOException {
        assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
        // The umask cannot be read from Java; a plain new file shows it (rw-r--r-- is 0666 less 022).
        Path probe = Files.createFile(tmp.resolve("probe"));
        assumeTrue(PosixFilePermissions.toString(Files.getPosixFilePermissions(probe)).equals("rw-r--r--"));
        Path target = tmp.resolve("config.yaml");
        AtomicFiles.write(target, out -> out.write("a: 1\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void write_failure_namesTheTarget_keepsThePreviousFile_andLeavesNoTemporary() throws IOException {
        Path target = tmp.resolve("runs").resolve("x").resolve("last.safetensors");
        AtomicFiles.write(target, out -> out.write("old".getBytes(StandardCharsets.UTF_8)));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[3 << 20]);
            throw new IOException("No space left on device");
        }));
        assertEquals(target + ": No space left on device", e.getMessage());
        assertEquals("old", Files.readString(target));
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void write_intoAPathBlockedByAFile_namesTheTarget() throws IOException {
        Files.writeString(tmp.resolve("runs"), "a file where a folder should be");
        Path target = tmp.resolve("runs").resolve("config.yaml");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> out.write(1)));
        assertTrue(e.getMessage().startsWith(target + ": "), e.getMessage());
    }

    @Test
    void isTemporary_recognisesTheNamesOfInterruptedWrites_only() {
        assertTrue(AtomicFiles.isTemporary(Path.of("runs/x/.last.safetensors8731209874312.tmp")));
        assertTrue(AtomicFiles.isTemporary(Path.of(".config.yaml12.tmp")));
        assertFalse(AtomicFiles.isTemporary(Path.of("runs/x/last.safetensors")));
        assertFalse(AtomicFiles.isTemporary(Path.of("runs/x/.last.safetensors.tmp")));
        assertFalse(AtomicFiles.isTemporary(Path.of("runs/x/last.safetensors12.tmp")));
        assertFalse(AtomicFiles.isTemporary(Path.of("runs/x/.chart12.png")));
        assertFalse(AtomicFiles.isTemporary(Path.of("runs/x/.peft4j.lock")));
    }
}
