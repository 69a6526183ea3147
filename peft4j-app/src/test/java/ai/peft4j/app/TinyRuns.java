package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What the CLI tests share around a tiny run in a temporary folder: the run file, the split lists, a digest of
 * every file to show that nothing outside the output folder changed, and the one-line error of a refused run.
 */
final class TinyRuns {
    private TinyRuns() {
    }

    /**
     * A segmentation run file for the fixture Swin-Att-UNet at 32x32 on a VOC folder, one epoch of batch 2 on one
     * worker; a test adds or overrides the keys its numbers depend on, in the order they are written.
     */
    static final class RunFile {
        private final Map<String, String> data = new LinkedHashMap<>();
        private final Map<String, String> training = new LinkedHashMap<>();

        private RunFile(Path root, List<String> classes) {
            data.put("layout", "voc");
            data.put("root", root.toString());
            data.put("class_names", "[" + String.join(", ", classes) + "]");
            training.put("epochs", "1");
            training.put("batch", "2");
            training.put("workers", "1");
        }

        /** Out-of-range mask values ignored, cross-entropy, validation every epoch: the lemon set's run. */
        static RunFile lemons(Path root) {
            return voc(root, CitrusDomain.LEMON.classNames()).data("out_of_range", "ignore").training("val_every", "1")
                    .training("loss", "ce");
        }

        static RunFile voc(Path root, String... classes) {
            return new RunFile(root, List.of(classes));
        }

        static RunFile voc(Path root, List<String> classes) {
            return new RunFile(root, classes);
        }

        RunFile data(String key, String value) {
            data.put(key, value);
            return this;
        }

        RunFile training(String key, String value) {
            training.put(key, value);
            return this;
        }

        /** Writes the run file to {@code file} with {@code output: out}, and returns {@code file}. */
        Path write(Path file, Path out) throws Exception {
            StringBuilder yaml = new StringBuilder("model:\n  name: swin-att-unet\n  backbone: swin-fixture\n"
                    + "  image_size: 32\n");
            section(yaml, "data", data);
            section(yaml, "training", training);
            yaml.append("output: ").append(out).append('\n');
            Files.writeString(file, yaml);
            return file;
        }

        private static void section(StringBuilder yaml, String name, Map<String, String> keys) {
            yaml.append(name).append(":\n");
            keys.forEach((k, v) -> yaml.append("  ").append(k).append(": ").append(v).append('\n'));
        }
    }

    /** Ten synthetic lemon pairs at 32x32 in a VOC folder with published 6:2:2 lists; returns {@code root}. */
    static Path lemons(Path root) throws Exception {
        new SyntheticCitrus(CitrusDomain.LEMON, 10, 32, 0).writeVoc(root);
        return root;
    }

    /** Writes {@code root/ImageSets/Segmentation/<split>.txt} with one id a line. */
    static void splitList(Path root, String split, String... ids) throws Exception {
        Path list = root.resolve("ImageSets/Segmentation/" + split + ".txt");
        Files.createDirectories(list.getParent());
        Files.writeString(list, String.join("\n", ids) + "\n");
    }

    /** Every file and folder under {@code dir} except those under {@code out}, with a digest of each file. */
    static Map<Path, String> outside(Path dir, Path out) throws Exception {
        Map<Path, String> seen = new TreeMap<>();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(p -> !p.startsWith(out)).toList()) {
                seen.put(p, Files.isDirectory(p) ? "folder"
                        : HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))));
            }
        }
        return seen;
    }

    /** Every file under {@code dir} by relative path, with the SHA-256 of its content. */
    static Map<String, String> hashes(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
                m.put(dir.relativize(f).toString(), HexFormat.of().formatHex(digest));
            }
        }
        return m;
    }

    /** Exit code 2, no stack trace, and one line on stderr besides warnings: {@code error: } and what it returns. */
    static String assertOneLineError(CliRun r) {
        assertEquals(2, r.code(), r.err() + r.out());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception:"), "no stack trace: " + r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("warning: ")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("error: "), r.err());
        return lines.get(0).substring("error: ".length());
    }
}
