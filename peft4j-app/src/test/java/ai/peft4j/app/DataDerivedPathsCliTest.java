package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sample ids from split lists and names from input files are whole, contained names: an id that is absolute or
 * climbs out with '..' is refused naming its list and line, before anything is written; an id with spaces names
 * its files whole; and no command writes over a file it reads, even through a linked output folder.
 */
class DataDerivedPathsCliTest {
    @TempDir
    static Path shared;

    /** A tiny VOC set: 32x32 pairs a, b, c and "sample one"; the run trained on it once for the class. */
    private static Path data;
    private static Path config;
    private static Path checkpoint;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainOnce() throws Exception {
        data = shared.resolve("data");
        for (String id : List.of("a", "b", "c", "sample one")) {
            writePair(data, id);
        }
        TinyRuns.splitList(data, "train", "a", "sample one");
        TinyRuns.splitList(data, "val", "b");
        TinyRuns.splitList(data, "test", "sample one", "c");
        Path run = shared.resolve("run");
        config = runFile(shared.resolve("tiny.yaml"), data, run);
        CliRun train = CliRun.of("train", "--config", config.toString());
        assertEquals(0, train.code(), train.err() + train.out());
        checkpoint = run.resolve("best.safetensors");
    }

    @Test
    void eval_absoluteIdNamingTheMask_isRefusedNamingListAndLineAndTheMaskIsUnchanged() throws Exception {
        Path root = copyOfData();
        String id = root.resolve("SegmentationClass/a").toAbsolutePath().toString();
        TinyRuns.splitList(root, "test", "c", id);
        assertRefusedAndNothingChanged(root, "test.txt: line 2: sample id '" + id + "' leaves the folder (an "
                + "absolute path); ids are file names without extension, relative to JPEGImages and "
                + "SegmentationClass");
    }

    @Test
    void eval_dotDotIdLeadingToTheMask_isRefusedNamingListAndLine() throws Exception {
        Path root = copyOfData();
        // From <out>/predictions as from SegmentationClass, this id is the mask a itself.
        String id = "../../data/SegmentationClass/a";
        TinyRuns.splitList(root, "test", "c", "", id);
        assertRefusedAndNothingChanged(root, "test.txt: line 3: sample id '" + id + "' leaves the folder (a '..' "
                + "segment)");
    }

    @Test
    void eval_relativeIdWhoseNormalisedPathLeavesTheFolder_isRefused() throws Exception {
        Path root = copyOfData();
        Path outside = tmp.resolve("elsewhere");
        ImageEncoder.writeJpeg(RgbImage.filled(32, 32, 90, 90, 90), outside.resolve("x.jpg"), 0.9f);
        ImageEncoder.writeIndexPng(new int[32 * 32], 32, 32, Palette.voc(), outside.resolve("x.png"));
        // With these folders present the unnormalised path exists, so only the check stands between it and x.
        Files.createDirectories(root.resolve("JPEGImages/nested/deeper"));
        Files.createDirectories(root.resolve("SegmentationClass/nested/deeper"));
        String id = "nested/deeper/../../../../elsewhere/x";
        TinyRuns.splitList(root, "test", id);
        assertRefusedAndNothingChanged(root, "test.txt: line 1: sample id '" + id + "' leaves the folder (a '..' "
                + "segment)");
    }

    @Test
    void train_idWhoseFirstWordIsAnotherSample_isRefusedRatherThanReadAsThatSample() throws Exception {
        Path root = copyOfData();
        TinyRuns.splitList(root, "train", "b", "a extra words");
        Path run = runFile(tmp.resolve("t.yaml"), root, tmp.resolve("out/run"));
        Map<String, String> before = TinyRuns.hashes(tmp);
        CliRun r = CliRun.of("train", "--config", run.toString());
        assertEquals(2, r.code(), r.out());
        assertEquals("error: " + root.resolve("JPEGImages/a extra words.jpg") + ": image not found; id 'a extra "
                + "words' is listed in train.txt (line 2)", r.err().strip());
        assertEquals(withoutOut(before), withoutOut(TinyRuns.hashes(tmp)));
    }

    @Test
    void eval_idWithSpaces_isPredictedWholeAndTheDataIsUnchanged() throws Exception {
        Map<String, String> before = TinyRuns.hashes(data);
        Path out = tmp.resolve("eval");
        CliRun r = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(), "--out",
                out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        try (Stream<Path> files = Files.list(out.resolve("predictions"))) {
            assertEquals(List.of("c.png", "sample one.png"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(before, TinyRuns.hashes(data));
    }

    @Test
    void eval_predictionsFolderLinkedToTheMasks_refusesToReplaceTheGroundTruth() throws Exception {
        Map<String, String> before = TinyRuns.hashes(data);
        Path out = Files.createDirectories(tmp.resolve("eval"));
        Files.createSymbolicLink(out.resolve("predictions"), data.resolve("SegmentationClass"));
        CliRun r = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(), "--out",
                out.toString());
        assertEquals(2, r.code(), r.out());
        assertEquals("error: " + out.resolve("predictions/sample one.png") + ": this output would overwrite the "
                + "input " + data.resolve("SegmentationClass/sample one.png") + "; choose an --out folder whose "
                + "predictions/ is not a data folder", r.err().strip());
        assertEquals(before, TinyRuns.hashes(data));
    }

    @Test
    void predict_outputFolderHoldingTheInputsAsMasks_isRefusedBeforeAnythingIsWritten() throws Exception {
        Path shots = tmp.resolve("shots");
        Path input = shots.resolve("masks/part.png");
        ImageEncoder.writePng(RgbImage.filled(32, 32, 10, 20, 30), input);
        Map<String, String> before = TinyRuns.hashes(tmp);
        CliRun r = CliRun.of("predict", "--checkpoint", checkpoint.toString(), input.toString(), "--out",
                shots.toString());
        assertEquals(2, r.code(), r.out());
        assertEquals("error: " + input + ": this output would overwrite the input " + input + "; choose an --out "
                + "folder whose masks/ and overlays/ hold no inputs", r.err().strip());
        assertEquals(before, TinyRuns.hashes(tmp));
    }

    /** Eval of the copy in {@code root} fails with {@code message}; every file outside its --out is as it was. */
    private void assertRefusedAndNothingChanged(Path root, String message) throws Exception {
        Path run = tmp.resolve("t.yaml");
        runFile(run, root, tmp.resolve("out/run"));
        Map<String, String> before = TinyRuns.hashes(tmp);
        Path out = tmp.resolve("out/eval");
        CliRun r = CliRun.of("eval", "--config", run.toString(), "--checkpoint", checkpoint.toString(), "--out",
                out.toString());
        assertEquals(2, r.code(), r.out());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("error: " + root.resolve("ImageSets/Segmentation/" + message)), err);
        assertEquals(before, TinyRuns.hashes(tmp));
        assertFalse(Files.exists(out), "nothing written to --out either");
    }

    /** The shared data set copied to {@code tmp/data}, so that a test may rewrite its lists. */
    private Path copyOfData() throws Exception {
        Path root = tmp.resolve("data");
        try (Stream<Path> files = Files.walk(data)) {
            for (Path f : files.toList()) {
                Path to = root.resolve(data.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        return root;
    }

    private static Map<String, String> withoutOut(Map<String, String> hashes) {
        Map<String, String> m = new TreeMap<>(hashes);
        m.keySet().removeIf(k -> k.startsWith("out/"));
        return m;
    }

    private static void writePair(Path root, String id) throws Exception {
        ImageEncoder.writeJpeg(RgbImage.filled(32, 32, 120, 100, 80), root.resolve("JPEGImages/" + id + ".jpg"),
                0.9f);
        int[] mask = new int[32 * 32];
        for (int i = 0; i < 8 * 32; i++) {
            mask[i] = 1;
        }
        ImageEncoder.writeIndexPng(mask, 32, 32, Palette.voc(), root.resolve("SegmentationClass/" + id + ".png"));
    }

    private static Path runFile(Path file, Path data, Path out) throws Exception {
        return TinyRuns.RunFile.voc(data, "background", "defect").write(file, out);
    }
}
