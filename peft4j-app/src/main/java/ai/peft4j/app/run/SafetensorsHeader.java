package ai.peft4j.app.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The metadata of a safetensors file, read from its header alone (a checkpoint's tensors are not loaded). */
final class SafetensorsHeader {
    private static final long MAX_HEADER = 100L << 20;

    private SafetensorsHeader() {}

    static Map<String, String> metadata(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
            byte[] len = new byte[8];
            data.readFully(len);
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n <= 0 || n > MAX_HEADER) {
                throw new IOException(file + ": not a safetensors file (header length " + n + ")");
            }
            byte[] header = new byte[(int) n];
            data.readFully(header);
            JsonNode meta = new ObjectMapper().readTree(header).path("__metadata__");
            Map<String, String> out = new LinkedHashMap<>();
            meta.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
            return out;
        }
    }
}
