package ai.peft4j.infer.onnx;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * ONNX Runtime's environment, without the folder the runtime leaves behind. At first use the runtime unpacks its
 * native libraries into a new {@code onnxruntime-java*} folder of the temporary directory and only asks for their
 * deletion at exit, where the folder comes first and is still full: every process left an empty folder. Once the
 * libraries are loaded (or failed to load) the folder is deleted here; a loaded library needs no file on Linux and
 * macOS, and where deleting fails (Windows) the runtime's own clean-up at exit stays.
 */
public final class OnnxEnvironment {
    private static boolean cleaned;

    private OnnxEnvironment() {}

    /** {@link OrtEnvironment#getEnvironment()}, removing the runtime's library folder after the first call. */
    public static synchronized OrtEnvironment get() {
        if (cleaned) {
            return OrtEnvironment.getEnvironment();
        }
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            cleaned = true;
            return env;
        } finally {
            // Also after a failed load, which the next call retries in a new folder.
            removeLibraryFolder();
        }
    }

    private static void removeLibraryFolder() {
        Path dir;
        try {
            // The runtime keeps the folder in a private field and offers no other way to find it.
            Field f = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
            f.setAccessible(true);
            dir = f.get(null) instanceof Path p ? p : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return; // another runtime version: it manages its folder itself
        }
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        try {
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.toList();
            }
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // A library that cannot be deleted while loaded: the runtime's exit hook is the last word.
        }
    }
}
