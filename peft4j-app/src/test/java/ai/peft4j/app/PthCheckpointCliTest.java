package ai.peft4j.app;

import static ai.peft4j.app.TinyRuns.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PyTorch .pth checkpoints on the command line: --checkpoint, and peft4j convert. */
class PthCheckpointCliTest {
    @TempDir
    Path tmp;

    /** A small Swin-Att-UNet's weights as safetensors and as a DataParallel training checkpoint .pth. */
    private Map<String, Path> smallModelFiles(int classes) throws Exception {
        Path st = tmp.resolve("w.safetensors");
        Path pth = tmp.resolve("w.pth");
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(7);
            Map<String, NDArray> sd = ModelSpec.of("swin-att-unet", "swin-fixture", classes).build(m).stateDict();
            SafetensorsFile.write(st, sd, Map.of());
            TorchZipWriter.write(pth, sd, "module.");
        }
        return Map.of("safetensors", st, "pth", pth);
    }

    private Path frames(int n) throws Exception {
        Path root = SharedFiles.require("data/neu-seg");
        Path folder = Files.createDirectory(tmp.resolve("frames"));
        List<String> ids = Files.readAllLines(root.resolve("ImageSets/Segmentation/test.txt")).subList(0, n);
        for (String id : ids) {
            Files.copy(root.resolve("JPEGImages/" + id.strip() + ".jpg"), folder.resolve(id.strip() + ".jpg"));
        }
        return folder;
    }

    private CliRun stream(Path frames, Path checkpoint, Path out) {
        return CliRun.of("stream", "--folder", frames.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--classes", "4", "--checkpoint", checkpoint.toString(), "--input-size", "32",
                "--no-video", "--out", out.toString());
    }

    @Test
    void pthCheckpoint_predictsExactlyAsItsSafetensorsCopy() throws Exception {
        Map<String, Path> files = smallModelFiles(4);
        Path frames = frames(2);
        CliRun a = stream(frames, files.get("safetensors"), tmp.resolve("st"));
        assertEquals(0, a.code(), a.err() + a.out());
        CliRun b = stream(frames, files.get("pth"), tmp.resolve("pth"));
        assertEquals(0, b.code(), b.err() + b.out());
        assertEquals(Files.readAllLines(tmp.resolve("st/stats.csv")), Files.readAllLines(tmp.resolve("pth/stats.csv")));
        try (var pngs = Files.list(tmp.resolve("st/overlays"))) {
            List<Path> names = pngs.map(Path::getFileName).sorted().toList();
            assertEquals(2, names.size());
            for (Path n : names) {
                assertArrayEquals(Files.readAllBytes(tmp.resolve("st/overlays").resolve(n)),
                        Files.readAllBytes(tmp.resolve("pth/overlays").resolve(n)), n.toString());
            }
        }
    }

    @Test
    void pthOfAnotherModel_namesTheClosestLayout() throws Exception {
        Path pth = tmp.resolve("other.pth");
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> sd = new LinkedHashMap<>();
            sd.put("blocks.0.attn.qkv.weight", m.ones(new ai.djl.ndarray.types.Shape(6, 2)));
            sd.put("module.swin_backbone.patch_embed.proj.bias", m.zeros(new ai.djl.ndarray.types.Shape(3)));
            TorchZipWriter.write(pth, sd, "");
        }
        CliRun r = stream(frames(1), pth, tmp.resolve("o"));
        assertEquals(2, r.code(), r.out());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: checkpoint " + pth + " does not fit the model"), err);
        assertTrue(err.contains("key layout nn.DataParallel ('module.' removed): 1 of the file's 2 keys match the "
                + "model's"), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void convert_zipAndLegacyFixtures_roundTripToTheExpectedTensorsExactly() throws Exception {
        Path expectedFile = SharedFiles.require("fixtures/pth/expected.safetensors");
        for (String name : List.of("state_dict_zip.pth", "state_dict_legacy.pth", "training_checkpoint.pth")) {
            Path in = SharedFiles.require("fixtures/pth/" + name);
            Path out = tmp.resolve(name + ".safetensors");
            CliRun r = CliRun.of("convert", in.toString(), out.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("Wrote     " + out + ": 12 tensors from " + in), r.out());
            assertEquals(name.startsWith("training"), r.out().contains("['model']"), r.out());
            try (NDManager m = EngineSetup.newManager()) {
                Map<String, NDArray> expected = SafetensorsFile.read(expectedFile, m).tensors();
                Map<String, NDArray> got = SafetensorsFile.read(out, m).tensors();
                assertEquals(List.copyOf(expected.keySet()), List.copyOf(got.keySet()));
                for (String k : expected.keySet()) {
                    assertEquals(expected.get(k).getDataType(), got.get(k).getDataType(), k);
                    assertEquals(expected.get(k).getShape(), got.get(k).getShape(), k);
                    assertArrayEquals(expected.get(k).toByteArray(), got.get(k).toByteArray(), k);
                }
            }
        }
    }

    @Test
    void convertWithModel_mapsDataParallelNamesOntoTheModel() throws Exception {
        Map<String, Path> files = smallModelFiles(4);
        Path out = tmp.resolve("mapped.safetensors");
        CliRun r = CliRun.of("convert", files.get("pth").toString(), out.toString(), "--model", "swin-att-unet",
                "--backbone", "swin-fixture", "--classes", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("layout nn.DataParallel ('module.' removed)"), r.out());
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> want = SafetensorsFile.read(files.get("safetensors"), m).tensors();
            Map<String, NDArray> got = SafetensorsFile.read(out, m).tensors();
            assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
            for (String k : want.keySet()) {
                assertArrayEquals(want.get(k).toByteArray(), got.get(k).toByteArray(), k);
            }
        }
    }

    @Test
    void convertMalicious_isRefusedInOneLine_andWritesNothing() throws Exception {
        Path marker = Path.of("peft4j-pwned");
        assertFalse(Files.exists(marker));
        for (String name : List.of("malicious.pth", "malicious_plain.pkl")) {
            Path in = SharedFiles.require("fixtures/pth/" + name);
            Path out = tmp.resolve(name + ".safetensors");
            CliRun r = CliRun.of("convert", in.toString(), out.toString());
            assertEquals(2, r.code(), r.out());
            List<String> lines = r.err().strip().lines().toList();
            assertEquals(1, lines.size(), r.err());
            assertTrue(lines.get(0).startsWith("error: " + in + ": refused to load: the pickle asks for the Python "
                    + "global 'posix.system'"), lines.get(0));
            assertFalse(Files.exists(out));
        }
        assertFalse(Files.exists(marker), "a payload ran");
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "no temporary file left");
        }
    }

    @Test
    void convertDamagedFiles_exit2NamingTheFileAndTheDamage_andWriteNothing() throws Exception {
        // A zip cut in half: its central directory is gone.
        byte[] whole = Files.readAllBytes(SharedFiles.require("fixtures/pth/state_dict_zip.pth"));
        Path cut = tmp.resolve("cut.pth");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        Path cutOut = tmp.resolve("cut.safetensors");
        String zip = assertOneLineError(CliRun.of("convert", cut.toString(), cutOut.toString()));
        assertTrue(zip.startsWith(cut + ": not a readable PyTorch zip checkpoint ("), zip);
        assertTrue(zip.endsWith("): the file is truncated or damaged; copy or download it again"), zip);
        assertFalse(Files.exists(cutOut));

        // A [4, 3] float tensor (strides [3, 1], offset 0) whose storage keeps 20 of its 48 bytes: 5 elements, while
        // the view reaches element 11.
        Path shortPth = tmp.resolve("short.pth");
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> sd = new LinkedHashMap<>();
            sd.put("w", m.arange(12f).reshape(4, 3));
            TorchZipWriter.write(shortPth, sd, "", 20);
        }
        Path shortOut = tmp.resolve("short.safetensors");
        // The writer keeps the state dict under "model", as training checkpoints do; the message gives that path.
        assertEquals(shortPth + ": tensor 'model/w' of shape [4, 3], strides [3, 1] and offset 0 reaches element 11 of "
                + "storage '0', which holds 5 FLOAT32 elements (the file is truncated or damaged)",
                assertOneLineError(CliRun.of("convert", shortPth.toString(), shortOut.toString())));
        assertFalse(Files.exists(shortOut));
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(cut, shortPth), left.sorted().toList(), "nothing else written");
        }
    }

    @Test
    void convert_refusesToReplaceItsInput_andNeedsASafetensorsName() throws Exception {
        Path st = smallModelFiles(2).get("safetensors");
        byte[] before = Files.readAllBytes(st);
        CliRun same = CliRun.of("convert", st.toString(), st.toString());
        assertEquals(2, same.code());
        assertEquals("error: " + st + ": this output would overwrite the input " + st + "; give OUT a new file name",
                same.err().strip());
        assertArrayEquals(before, Files.readAllBytes(st));
        CliRun pthOut = CliRun.of("convert", st.toString(), tmp.resolve("x.pth").toString());
        assertEquals(2, pthOut.code());
        assertEquals("error: " + tmp.resolve("x.pth") + ": the output must be a .safetensors file",
                pthOut.err().strip());
        CliRun help = CliRun.of("convert", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Usage: peft4j convert") && help.out().contains("--model"), help.out());
    }
}
