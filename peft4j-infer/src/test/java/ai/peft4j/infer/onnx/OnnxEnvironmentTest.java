package ai.peft4j.infer.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxEnvironmentTest {
    @TempDir
    Path tmp;

    /** A process that starts ONNX Runtime, with or without {@link OnnxEnvironment}, and uses its native code. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            OrtEnvironment env = args[0].equals("plain") ? OrtEnvironment.getEnvironment() : OnnxEnvironment.get();
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(1);
            }
            System.out.println("runtime " + env.getVersion());
        }
    }

    @Test
    void processUsingTheRuntime_leavesNoFolderInTheTemporaryDirectory() throws Exception {
        Path plain = Files.createDirectory(tmp.resolve("plain"));
        Path ours = Files.createDirectory(tmp.resolve("ours"));
        assertEquals(0, runChild("plain", plain));
        // The runtime on its own leaves its library folder (emptied at exit), which is what is fixed here.
        assertEquals(1, entries(plain).size(), entries(plain).toString());
        assertEquals(0, runChild("ours", ours));
        assertEquals(List.of(), entries(ours));
    }

    private int runChild(String mode, Path tmpdir) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Djava.io.tmpdir=" + tmpdir, "-cp",
                System.getProperty("java.class.path"), Child.class.getName(), mode).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        assertTrue(out.contains("runtime "), out);
        return code;
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
