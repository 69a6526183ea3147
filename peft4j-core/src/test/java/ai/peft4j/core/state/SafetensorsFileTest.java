package ai.peft4j.core.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path tmp;

    @Test
    void writeThenRead_returnsSameTensorsOrderAndMetadata() throws IOException {
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("z.weight", m.arange(0f, 6f).reshape(2, 3));
            tensors.put("a.index", m.create(new long[] {7, -1, 3}));
            tensors.put("bn.num_batches_tracked", m.create(5L));
            tensors.put("empty", m.create(new Shape(0, 4)));
            tensors.put("half", m.create(new float[] {0.5f, -2f}).toType(DataType.FLOAT16, false));
            Path f = tmp.resolve("w.safetensors");
            SafetensorsFile.write(f, tensors, Map.of("format", "pt", "model", "swin-att-unet"));

            // The data start 8-byte aligned after a padded header, as the reference writer leaves them.
            ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0, head.getLong(0) % 8);

            SafetensorsFile.Contents c = SafetensorsFile.read(f, m);
            assertEquals(List.copyOf(tensors.keySet()), List.copyOf(c.tensors().keySet()));
            assertEquals(Map.of("format", "pt", "model", "swin-att-unet"), c.metadata());
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, c.tensors().get("z.weight").toFloatArray());
            assertEquals(new Shape(2, 3), c.tensors().get("z.weight").getShape());
            assertArrayEquals(new long[] {7, -1, 3}, c.tensors().get("a.index").toLongArray());
            assertEquals(new Shape(), c.tensors().get("bn.num_batches_tracked").getShape());
            assertEquals(5L, c.tensors().get("bn.num_batches_tracked").getLong());
            assertEquals(new Shape(0, 4), c.tensors().get("empty").getShape());
            assertEquals(DataType.FLOAT16, c.tensors().get("half").getDataType());
            assertArrayEquals(new float[] {0.5f, -2f},
                    c.tensors().get("half").toType(DataType.FLOAT32, false).toFloatArray());
            assertEquals(Map.of("z.weight", new Shape(2, 3), "a.index", new Shape(3),
                    "bn.num_batches_tracked", new Shape(), "empty", new Shape(0, 4), "half", new Shape(2)),
                    SafetensorsFile.readShapes(f));
            try (Stream<Path> files = Files.list(tmp)) {
                assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
            }
        }
    }

    @Test
    void read_fileWrittenByPyTorch() throws IOException {
        Path f = SharedFiles.require("fixtures/tplora/tplora_small_1.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            NDArray input = SafetensorsFile.read(f, m).tensors().get("input");
            assertEquals(new Shape(2, 3, 224, 224), input.getShape());
            Tensors.assertClose(ClosedFormWeights.sinusoid(m, input.getShape(), 0.0123), input, 1e-6,
                    "input = sin(0.0123 i)");
        }
    }

    @Test
    void read_truncatedOrForeignFile_namesFileAndProblem() throws IOException {
        try (NDManager m = EngineSetup.newManager()) {
            Path good = tmp.resolve("good.safetensors");
            SafetensorsFile.write(good, Map.of("w", m.ones(new Shape(100))), Map.of());
            byte[] bytes = Files.readAllBytes(good);
            Path cut = tmp.resolve("cut.safetensors");
            Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 10));
            IOException e1 = assertThrows(IOException.class, () -> SafetensorsFile.read(cut, m));
            assertTrue(e1.getMessage().startsWith(cut.toString()), e1.getMessage());
            assertTrue(e1.getMessage().contains("tensor 'w'"), e1.getMessage());

            Path png = tmp.resolve("image.png");
            Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13});
            IOException e2 = assertThrows(IOException.class, () -> SafetensorsFile.read(png, m));
            assertTrue(e2.getMessage().contains("not a safetensors file"), e2.getMessage());
        }
    }
}
