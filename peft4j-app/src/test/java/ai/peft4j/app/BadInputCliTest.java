package ai.peft4j.app;

import static ai.peft4j.app.TinyRuns.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kind of bad input or failing environment ends as one line {@code error: ...} naming its cause, exit code
 * 2, no stack trace, and nothing changed outside the output folder.
 */
class BadInputCliTest {
    @TempDir
    Path tmp;

    private static final ModelSection FIXTURE = new ModelSection("swin-att-unet", "swin-fixture", 0, 32, "");

    private Path lemons() throws Exception {
        return TinyRuns.lemons(tmp.resolve("lemon"));
    }

    private List<String> ids(Path root, String split) throws Exception {
        return Files.readAllLines(root.resolve("ImageSets/Segmentation/" + split + ".txt")).stream()
                .filter(s -> !s.isBlank()).toList();
    }

    private Path runFile(Path data, Path out) throws Exception {
        return TinyRuns.RunFile.lemons(data).write(tmp.resolve("lemon.yaml"), out);
    }

    private Map<Path, String> outside(Path out) throws Exception {
        return TinyRuns.outside(tmp, out);
    }

    /** A PNG whose header claims {@code width x height} pixels and holds none. */
    private static byte[] pngHeader(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        for (Object[] c : List.of(new Object[] {"IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).array()}, new Object[] {"IEND", new byte[0]})) {
            byte[] type = ((String) c[0]).getBytes(StandardCharsets.US_ASCII);
            byte[] data = (byte[]) c[1];
            CRC32 crc = new CRC32();
            crc.update(type);
            crc.update(data);
            out.write(ByteBuffer.allocate(4).putInt(data.length).array());
            out.write(type);
            out.write(data);
            out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        }
        return out.toByteArray();
    }

    @Test
    void hugeImage_isRefusedBeforeTrainingNamingTheFileItsSizeAndTheLimit() throws Exception {
        Path data = lemons();
        Path bomb = data.resolve("JPEGImages/" + ids(data, "train").get(0) + ".jpg");
        Files.write(bomb, pngHeader(60000, 60000));
        Path out = tmp.resolve("runs/lemon");
        Path config = runFile(data, out);
        Map<Path, String> before = outside(out);
        String error = assertOneLineError(CliRun.of("train", "--config", config.toString()));
        assertTrue(error.startsWith(bomb + ": image is 60000x60000 (3,600,000,000 pixels), more than the limit of "
                + "89,478,485 pixels"), error);
        assertTrue(error.contains("-Dpeft4j.maxImagePixels=N") && error.contains("before training"), error);
        assertFalse(Files.exists(out), "nothing written");
        assertEquals(before, outside(out));
    }

    @Test
    void fullDisk_namesTheFileBeingWritten() throws Exception {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.exists(full), "a Linux /dev/full");
        Map<Path, String> before = outside(tmp.resolve("none"));
        String error = assertOneLineError(CliRun.of("summary", "--backbone", "swin-fixture", "--classes", "3",
                "--no-flops", "--json", full.toString()));
        assertEquals("/dev/full: No space left on device", error);
        assertEquals(before, outside(tmp.resolve("none")));
    }

    @Test
    void divergedTraining_printsTheTrainersMessageAndExits2() throws Exception {
        Path data = lemons();
        // Masks of nothing but out-of-range values, mapped to the ignore label: cross-entropy over no pixel is NaN.
        for (String id : ids(data, "train")) {
            int[] all = new int[32 * 32];
            Arrays.fill(all, 200);
            ImageEncoder.writeIndexPng(all, 32, 32, Palette.voc(), data.resolve("SegmentationClass/" + id + ".png"));
        }
        Path out = tmp.resolve("run");
        Path config = runFile(data, out);
        Map<Path, String> before = outside(out);
        // Without augmentation, which pads with background, every pixel keeps the ignore label.
        String error = assertOneLineError(CliRun.of("train", "--config", config.toString(), "--set",
                "training.augment=false"));
        assertTrue(error.startsWith("the training loss is NaN at epoch 1, step 1 (batch "), error);
        assertTrue(error.contains("Training stopped; no checkpoint was written yet. Try a lower learning rate"),
                error);
        assertEquals(before, outside(out));
    }

    @Test
    void badOptimiserSettings_nameTheKeyOrOptionBeforeAnythingIsRead() throws Exception {
        Path data = lemons();
        Path out = tmp.resolve("runs/lemon");
        Path config = runFile(data, out);
        Map<Path, String> before = outside(out);
        assertEquals(config + ": training.momentum must be at least 0 and below 1 (Adam's beta1), got 2.0",
                assertOneLineError(CliRun.of("train", "--config", TinyRuns.RunFile.lemons(data)
                        .training("momentum", "2").write(tmp.resolve("lemon.yaml"), out).toString())));
        runFile(data, out);
        assertEquals("--lr -1.0: training.lr must be a positive number, got -1.0 (the published Adam runs use 1e-4 "
                + "to 2e-3)", assertOneLineError(CliRun.of("train", "--config", config.toString(), "--lr", "-1")));
        assertEquals("--set training.weight_decay=-1e-4: training.weight_decay must be 0 or positive, got -1.0E-4",
                assertOneLineError(CliRun.of("train", "--config", config.toString(), "--set",
                        "training.weight_decay=-1e-4")));
        assertEquals("--set training.optimizer=rmsprop: training.optimizer must be one of adam, adamw, sgd, got "
                + "'rmsprop'", assertOneLineError(CliRun.of("train", "--config", config.toString(), "--set",
                        "training.optimizer=rmsprop")));
        assertFalse(Files.exists(out));
        assertEquals(before, outside(out));
    }

    @Test
    void runFileErrors_nameTheFileAndWhere() throws Exception {
        Path data = lemons();
        Path out = tmp.resolve("runs/lemon");
        Path config = runFile(data, out);
        String text = Files.readString(config);
        Files.write(config, (text + "# r\u00e9glages\n").getBytes(StandardCharsets.ISO_8859_1));
        int offset = text.getBytes(StandardCharsets.UTF_8).length + 3;
        Map<Path, String> before = outside(out);
        assertEquals(config + ": not UTF-8 text: byte 0xE9 at offset " + offset + " (line "
                + (text.lines().count() + 1) + ") is not valid UTF-8; save the run file as UTF-8",
                assertOneLineError(CliRun.of("train", "--config", config.toString())));
        Files.writeString(config, text.replace("epochs: 1", "epochs: 1.5"));
        assertEquals(config + ": training.epochs: cannot read '1.5' as a whole number",
                assertOneLineError(CliRun.of("train", "--config", config.toString())));
        Files.writeString(config, text.replace("  batch: 2\n", "  batch: 2\n  batch: 4\n"));
        assertTrue(assertOneLineError(CliRun.of("train", "--config", config.toString()))
                .startsWith(config + ": key 'training.batch' appears twice in section training (again on line "));
        assertFalse(Files.exists(out));
        before.remove(config);
        Map<Path, String> after = outside(out);
        after.remove(config);
        assertEquals(before, after);
    }

    @Test
    void initOfAnotherModel_saysHowFewTensorsMatchAndIsRefused() throws Exception {
        Path data = lemons();
        Path init = tmp.resolve("other.safetensors");
        int inModel;
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> own = SegmentationNet.build(FIXTURE, 3, m).stateDict();
            inModel = own.size();
            Map<String, NDArray> other = new LinkedHashMap<>();
            own.entrySet().stream().limit(3).forEach(e -> other.put(e.getKey(), e.getValue()));
            for (int i = 0; i < 10; i++) {
                other.put("encoder.layer" + i + ".weight", m.zeros(new ai.djl.ndarray.types.Shape(4, 4)));
            }
            SafetensorsFile.write(init, other, Map.of());
        }
        Path out = tmp.resolve("runs/lemon");
        Path config = runFile(data, out);
        Map<Path, String> before = outside(out);
        String error = assertOneLineError(CliRun.of("train", "--config", config.toString(), "--set",
                "model.init=" + init));
        assertEquals(init + ": 3 of " + inModel + " model tensors found in it (by name and shape; 3 of its 13 tensors "
                + "used); is it a checkpoint of this model, " + SegmentationNet.spec(FIXTURE, 3).describe()
                + "? Check model.init, model.name and model.backbone", error);
        assertFalse(Files.exists(out), "refused before the run directory is made");
        assertEquals(before, outside(out));
    }

    @Test
    void damagedValidationImage_isFoundBeforeTheFirstEpoch() throws Exception {
        Path data = lemons();
        Path bad = data.resolve("JPEGImages/" + ids(data, "val").get(0) + ".jpg");
        byte[] bytes = Files.readAllBytes(bad);
        Files.write(bad, Arrays.copyOf(bytes, bytes.length / 2));
        Path out = tmp.resolve("runs/lemon");
        Path config = runFile(data, out);
        Map<Path, String> before = outside(out);
        CliRun r = CliRun.of("train", "--config", config.toString());
        String error = assertOneLineError(r);
        assertTrue(error.startsWith(bad + ": damaged JPEG image ("), error);
        assertTrue(error.endsWith("; found checking the " + (ids(data, "train").size() + ids(data, "val").size())
                + " pairs before training: replace the file or remove its pair from the split list"), error);
        assertFalse(r.out().contains("Epoch"), "no epoch ran: " + r.out());
        assertFalse(Files.exists(out));
        assertEquals(before, outside(out));
    }

    @Test
    void predictOverAFolder_skipsAnUnreadableImageAndExits2AfterTheOthers() throws Exception {
        Path data = lemons();
        Path weights = tmp.resolve("model.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(weights, SegmentationNet.build(FIXTURE, 3, m).stateDict(), Map.of());
        }
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        List<String> ids = ids(data, "test");
        Files.copy(data.resolve("JPEGImages/" + ids.get(0) + ".jpg"), images.resolve("a.jpg"));
        Files.copy(data.resolve("JPEGImages/" + ids.get(1) + ".jpg"), images.resolve("c.jpg"));
        Files.writeString(images.resolve("b.jpg"), "not a picture");
        Path out = tmp.resolve("predictions");
        Path config = runFile(data, tmp.resolve("runs/none"));
        Map<Path, String> before = outside(out);
        CliRun r = CliRun.of("predict", images.toString(), "--checkpoint", weights.toString(), "--config",
                config.toString(), "--out", out.toString());
        String error = assertOneLineError(r);
        assertEquals("1 of 3 images skipped as unreadable (" + images.resolve("b.jpg") + "); the other 2 were "
                + "predicted", error);
        assertTrue(r.err().startsWith("warning: " + images.resolve("b.jpg") + ": not an image"), r.err());
        for (String stem : List.of("a", "c")) {
            assertTrue(Files.isRegularFile(out.resolve("masks/" + stem + ".png")), stem);
        }
        assertFalse(Files.exists(out.resolve("masks/b.png")));
        assertEquals(before, outside(out));
    }

    @Test
    void outputUnderARegularFile_isRefusedNamingThePath() throws Exception {
        Path data = lemons();
        Path file = tmp.resolve("notes.txt");
        Files.writeString(file, "a file, not a folder");
        Path out = file.resolve("run");
        Path config = runFile(data, tmp.resolve("runs/lemon"));
        Map<Path, String> before = outside(out);
        String error = assertOneLineError(CliRun.of("train", "--config", config.toString(), "--out", out.toString()));
        assertTrue(error.startsWith(out + ": cannot create the run directory ("), error);
        assertTrue(error.endsWith("); choose another with --out or output in the run file"), error);
        assertEquals(before, outside(out));
        assertFalse(Files.exists(tmp.resolve("runs")));

        Path proc = Path.of("/proc/peft4j-run");
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "a Linux /proc");
        String procError = assertOneLineError(CliRun.of("train", "--config", config.toString(), "--out",
                proc.toString()));
        assertEquals(proc + ": cannot create the run directory (no such file or folder); choose another with --out "
                + "or output in the run file", procError);
        assertFalse(Files.exists(proc));
        assertEquals(before, outside(out));
    }
}
