package ai.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeSettingsTest {
    @TempDir
    Path tmp;

    @Test
    void workers_fromTheFile_flagOnTop_defaultOne_andAtLeastOne() throws Exception {
        Path file = tmp.resolve("serve.yaml");
        Files.writeString(file, "workers: 3\nqueue: 12\n");
        assertEquals(3, ServeSettings.read(file, Map.of()).workers());
        Map<String, Object> flags = new HashMap<>();
        flags.put("workers", 2);
        assertEquals(2, ServeSettings.read(file, flags).workers());
        assertEquals(1, ServeSettings.read(null, Map.of()).workers());
        Files.writeString(file, "workers: 0\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServeSettings.read(file, Map.of()));
        assertEquals("workers must be at least 1, got 0", e.getMessage());
    }
}
