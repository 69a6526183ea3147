package ai.peft4j.core.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PthFileTest {
    /** What the fixtures' payload, {@code os.system("touch peft4j-pwned")}, would create in the working directory. */
    private static final Path MARKER = Path.of("peft4j-pwned");

    @TempDir
    Path tmp;

    @Test
    void everyFixture_equalsExpectedTensorsExactly() throws IOException {
        Path expectedFile = SharedFiles.require("fixtures/pth/expected.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> expected = SafetensorsFile.read(expectedFile, m).tensors();
            for (String name : List.of("state_dict_zip.pth", "state_dict_legacy.pth", "training_checkpoint.pth")) {
                Path f = SharedFiles.require("fixtures/pth/" + name);
                assertTrue(PthFile.isPyTorchFile(f), name);
                try (PthFile pth = PthFile.open(f)) {
                    Map<String, NDArray> got = pth.readStateDict(m);
                    assertEquals(List.copyOf(expected.keySet()), List.copyOf(got.keySet()), name);
                    for (Map.Entry<String, NDArray> e : expected.entrySet()) {
                        NDArray g = got.get(e.getKey());
                        String what = name + " " + e.getKey();
                        assertEquals(e.getValue().getDataType(), g.getDataType(), what);
                        assertEquals(e.getValue().getShape(), g.getShape(), what);
                        assertArrayEquals(e.getValue().toByteArray(), g.toByteArray(), what);
                    }
                }
            }
            assertFalse(PthFile.isPyTorchFile(expectedFile));
        }
    }

    @Test
    void fixtures_coverTheFormatsAndDtypesTheyClaim() throws IOException {
        try (PthFile zip = PthFile.open(SharedFiles.require("fixtures/pth/state_dict_zip.pth"));
                PthFile legacy = PthFile.open(SharedFiles.require("fixtures/pth/state_dict_legacy.pth"))) {
            assertEquals(PthFile.Format.ZIP, zip.format());
            assertEquals(PthFile.Format.LEGACY, legacy.format());
            for (PthFile f : List.of(zip, legacy)) {
                Map<String, TorchTensor> t = f.stateDict().tensors();
                assertEquals(TorchDtype.FLOAT16, t.get("head.weight").dtype());
                assertEquals(TorchDtype.BOOL, t.get("mask").dtype());
                assertEquals(TorchDtype.INT64, t.get("ids").dtype());
                assertEquals(new Shape(), t.get("scalar").shape());
                // The three views share one storage: a row at offset 16 and a strided column.
                assertSame(t.get("shared.full").storage(), t.get("shared.row2").storage());
                assertSame(t.get("shared.full").storage(), t.get("shared.col").storage());
                assertEquals(16, t.get("shared.row2").storageOffset());
                assertArrayEquals(new long[] {8}, t.get("shared.col").stride());
            }
        }
    }

    @Test
    void trainingCheckpoint_findsModelAndKeepsPlainValues() throws IOException {
        try (PthFile f = PthFile.open(SharedFiles.require("fixtures/pth/training_checkpoint.pth"))) {
            assertEquals("model", f.stateDict().location());
            Map<?, ?> root = (Map<?, ?>) f.root();
            assertEquals(3L, root.get("epoch"));
            assertEquals(0.8125, root.get("best_miou"));
            assertEquals(Map.of("backbone", "swin_T_224", "num_classes", 6L), root.get("config"));
            assertEquals(List.of("a", "b"), root.get("names"));
            assertEquals(new Tuple(Arrays.asList(1L, 2.0, null, true)), root.get("tuple"));
            Map<?, ?> optimizer = (Map<?, ?>) root.get("optimizer");
            Map<?, ?> group = (Map<?, ?>) ((List<?>) optimizer.get("param_groups")).get(0);
            assertEquals(1e-4, group.get("lr"));
        }
    }

    @Test
    void maliciousFiles_areRefusedNamingTheGlobal_andRunNothing() throws IOException {
        assertFalse(Files.exists(MARKER), "marker exists before the test: " + MARKER.toAbsolutePath());
        for (String name : List.of("malicious.pth", "malicious_plain.pkl")) {
            Path f = SharedFiles.require("fixtures/pth/" + name);
            // The premise of the marker check, read from the bytes: the payload is that touch command.
            byte[] bytes = Files.readAllBytes(f);
            String payload = name.endsWith(".pkl") ? new String(bytes, StandardCharsets.ISO_8859_1) : "";
            assertTrue(name.endsWith(".pth") || payload.contains("touch peft4j-pwned"), name);
            assertTrue(PthFile.isPyTorchFile(f), name);
            ForbiddenGlobalException e = assertThrows(ForbiddenGlobalException.class, () -> PthFile.open(f).close());
            assertEquals("posix.system", e.global(), name);
            assertTrue(e.getMessage().startsWith(f + ": refused to load"), e.getMessage());
            assertTrue(e.getMessage().contains("'posix.system'"), e.getMessage());
        }
        assertFalse(Files.exists(MARKER), "a payload ran: " + MARKER.toAbsolutePath());
    }

    @Test
    void otherGlobals_areRefusedWhateverOpcodeNamesThem() throws IOException {
        // STACK_GLOBAL (protocol 4) with builtins.eval, then a REDUCE that must never be reached.
        byte[] stackGlobal = new PickleBytes().op(0x80, 4).str("builtins").str("eval").op(0x93).str("1")
                .op(0x85, 'R', '.').bytes();
        // INST names the class inline and instantiates it with the marked values.
        byte[] inst = new PickleBytes().op(0x80, 2, '(').str("x").op('i').text("os\nsystem\n").op('.').bytes();
        Map<String, byte[]> cases = Map.of("builtins.eval", stackGlobal, "os.system", inst);
        for (Map.Entry<String, byte[]> c : cases.entrySet()) {
            Path f = tmp.resolve(c.getKey() + ".pth");
            PickleBytes.writeZip(f, c.getValue(), Map.of());
            ForbiddenGlobalException e = assertThrows(ForbiddenGlobalException.class, () -> PthFile.open(f));
            assertEquals(c.getKey(), e.global());
        }
    }

    @Test
    void truncatedZip_failsNamingTheFile() throws IOException {
        byte[] whole = Files.readAllBytes(SharedFiles.require("fixtures/pth/state_dict_zip.pth"));
        Path f = tmp.resolve("cut.pth");
        Files.write(f, Arrays.copyOf(whole, whole.length / 2));
        IOException e = assertThrows(IOException.class, () -> PthFile.open(f));
        assertTrue(e.getMessage().startsWith(f + ": not a readable PyTorch zip checkpoint"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedLegacyFile_failsNamingTheStorage() throws IOException {
        byte[] whole = Files.readAllBytes(SharedFiles.require("fixtures/pth/state_dict_legacy.pth"));
        Path f = tmp.resolve("cut-legacy.pth");
        Files.write(f, Arrays.copyOf(whole, whole.length - 10));
        IOException e = assertThrows(IOException.class, () -> PthFile.open(f));
        assertTrue(e.getMessage().startsWith(f + ": storage '"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void storageTooShortForTheView_failsNamingTheTensor() throws IOException {
        byte[] pickle = new PickleBytes().op(0x80, 2, '}').str("w")
                .tensor("FloatStorage", "0", 12, 0, new long[] {4, 3}, new long[] {3, 1}).op('s', '.').bytes();
        Path f = tmp.resolve("short.pth");
        PickleBytes.writeZip(f, pickle, Map.of("0", new byte[5 * 4]));
        try (PthFile pth = PthFile.open(f)) {
            IOException e = assertThrows(IOException.class, pth::stateDict);
            assertEquals(f + ": tensor 'w' of shape [4, 3], strides [3, 1] and offset 0 reaches element 11 of "
                    + "storage '0', which holds 5 FLOAT32 elements (the file is truncated or damaged)", e.getMessage());
        }
    }

    @Test
    void absurdShape_failsBeforeAllocating() throws IOException {
        long huge = 1L << 40;
        byte[] pickle = new PickleBytes().op(0x80, 2, '}').str("big")
                .tensor("FloatStorage", "0", 1, 0, new long[] {huge, huge}, new long[] {huge, 1}).op('s', '.')
                .bytes();
        Path f = tmp.resolve("absurd.pth");
        PickleBytes.writeZip(f, pickle, Map.of("0", new byte[4]));
        try (PthFile pth = PthFile.open(f)) {
            IOException e = assertThrows(IOException.class, pth::stateDict);
            assertTrue(e.getMessage().startsWith(f + ": tensor 'big' of shape [1099511627776, 1099511627776]"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("too large"), e.getMessage());
        }
    }

    @Test
    void everyCommonDtype_andATransposedView_readAsWritten() throws IOException {
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("f64", le(16).putDouble(1.5).putDouble(-2.25).array());
        storages.put("bf16", le(4).putShort((short) 0x3FC0).putShort((short) 0xC010).array()); // 1.5, -2.25
        storages.put("i32", le(8).putInt(-7).putInt(65536).array());
        storages.put("i16", le(4).putShort((short) -3).putShort((short) 300).array());
        storages.put("i8", new byte[] {-128, 127});
        storages.put("u8", new byte[] {0, (byte) 255});
        ByteBuffer f32 = le(24);
        for (int i = 0; i < 6; i++) {
            f32.putFloat(i);
        }
        storages.put("f32", f32.array());
        PickleBytes p = new PickleBytes().op(0x80, 2, '}', '(');
        String[][] kinds = {{"f64", "DoubleStorage"}, {"bf16", "BFloat16Storage"}, {"i32", "IntStorage"},
            {"i16", "ShortStorage"}, {"i8", "CharStorage"}, {"u8", "ByteStorage"}};
        for (String[] k : kinds) {
            p.str(k[0]).tensor(k[1], k[0], 2, 0, new long[] {2}, new long[] {1});
        }
        // A [2, 3] view with strides (1, 2) of 0..5: the transpose of a [3, 2] row-major matrix.
        p.str("transposed").tensor("FloatStorage", "f32", 6, 0, new long[] {2, 3}, new long[] {1, 2});
        Path f = tmp.resolve("dtypes.pth");
        PickleBytes.writeZip(f, p.op('u', '.').bytes(), storages);
        try (NDManager m = EngineSetup.newManager(); PthFile pth = PthFile.open(f)) {
            Map<String, NDArray> t = pth.readStateDict(m);
            assertEquals(DataType.FLOAT64, t.get("f64").getDataType());
            assertArrayEquals(new double[] {1.5, -2.25}, t.get("f64").toDoubleArray());
            // The engine cannot hold bfloat16 or int16: they arrive widened, with the same values.
            assertEquals(DataType.FLOAT32, t.get("bf16").getDataType());
            assertArrayEquals(new float[] {1.5f, -2.25f}, t.get("bf16").toFloatArray());
            assertArrayEquals(new int[] {-7, 65536}, t.get("i32").toIntArray());
            assertEquals(DataType.INT32, t.get("i16").getDataType());
            assertArrayEquals(new int[] {-3, 300}, t.get("i16").toIntArray());
            assertEquals(DataType.INT8, t.get("i8").getDataType());
            assertArrayEquals(new byte[] {-128, 127}, t.get("i8").toByteArray());
            assertEquals(DataType.UINT8, t.get("u8").getDataType());
            assertArrayEquals(new byte[] {0, (byte) 255}, t.get("u8").toByteArray());
            assertEquals(new Shape(2, 3), t.get("transposed").getShape());
            assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, t.get("transposed").toFloatArray());
        }
    }

    @Test
    void checkpointWithoutTensors_saysWhatItHolds() throws IOException {
        byte[] pickle = new PickleBytes().op(0x80, 2, '}').str("epoch").op('K', 3, 's', '.').bytes();
        Path f = tmp.resolve("plain.pth");
        PickleBytes.writeZip(f, pickle, Map.of());
        try (PthFile pth = PthFile.open(f)) {
            assertNull(((Map<?, ?>) pth.root()).get("model"));
            IOException e = assertThrows(IOException.class, pth::stateDict);
            assertEquals(f + ": holds no state dict: expected tensors by name at the top level or under state_dict, "
                    + "model, model_state_dict, module, net; the top level is a dict with keys [epoch]",
                    e.getMessage());
        }
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
