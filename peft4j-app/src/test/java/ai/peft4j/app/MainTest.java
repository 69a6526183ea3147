package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.EngineException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** How the command line reports failures that no CLI test can provoke cheaply. */
class MainTest {
    @Test
    void fileSystemFailures_nameTheFileAndAReasonEvenWhereTheJdkGivesNone() {
        assertEquals("/data/run/history.csv: No space left on device", Main.message(new UncheckedIOException(
                new FileSystemException("/data/run/history.csv", null, "No space left on device"))));
        assertEquals("/tmp/notes.txt: already exists (a file where a folder is needed?)",
                Main.message(new FileAlreadyExistsException("/tmp/notes.txt")));
        assertEquals("/a -> /b: no such file or folder", Main.message(new NoSuchFileException("/a", "/b", null)));
        assertTrue(Main.expected(new UncheckedIOException(new IOException("disk"))));
    }

    @Test
    void enginesOutOfMemory_isAnExpectedFailureSaidAsWhatToLower() {
        EngineException oom = new EngineException("[enforce fail at alloc_cpu.cpp:118] data. DefaultCPUAllocator: "
                + "not enough memory: you tried to allocate 68719476736 bytes.");
        assertTrue(Main.expected(oom));
        assertEquals("out of memory (not enough memory: you tried to allocate 68719476736 bytes.); lower "
                + "training.batch (--batch), model.image_size (--size) or training.workers, or give Java more memory "
                + "(e.g. JAVA_TOOL_OPTIONS=-Xmx8g)", Main.message(oom));
        assertFalse(Main.expected(new EngineException("shape mismatch")), "other engine errors are bugs");
        assertFalse(Main.expected(new NullPointerException()));
    }

    @Test
    void help_pointsToBatchWhichRunsOnItsOwnClassPath() {
        CliRun help = CliRun.of("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Also: batch  Inspect many images on Apache Spark (./peft4j batch --help)."),
                help.out());
    }
}
