package ai.peft4j.core.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the safetensors format (8-byte little-endian header length, a JSON header, raw little-endian
 * data), as {@code safetensors.torch.save_file} does. Written by hand rather than through DJL's {@code NDList}
 * codec because that one drops the {@code __metadata__} map (where peft4j keeps a checkpoint's configuration) and
 * reads the whole file into one Java array.
 */
public final class SafetensorsFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private SafetensorsFile() {}

    /** The tensors of a file in header order, with its metadata. */
    public record Contents(Map<String, NDArray> tensors, Map<String, String> metadata) {}

    /** Reads every tensor of the file into {@code manager}. Errors name the file and what is wrong with it. */
    public static Contents read(Path file, NDManager manager) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw malformed(file, "file has " + fileSize + " bytes, fewer than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > fileSize) {
                throw malformed(file, "header length " + headerLen + " does not fit a file of " + fileSize
                        + " bytes (not a safetensors file, or truncated)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw malformed(file, "header is not valid JSON: " + e.getMessage());
            }
            long dataStart = 8 + headerLen;
            long dataLen = fileSize - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = header.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if ("__metadata__".equals(e.getKey())) {
                    metadata.putAll(JSON.convertValue(e.getValue(), new TypeReference<Map<String, String>>() {}));
                    continue;
                }
                JsonNode t = e.getValue();
                DataType dtype = dataType(file, e.getKey(), t.path("dtype").asText());
                JsonNode shapeNode = t.path("shape");
                long[] dims = new long[shapeNode.size()];
                long count = 1;
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = shapeNode.get(i).asLong();
                    count *= dims[i];
                }
                long begin = t.path("data_offsets").path(0).asLong(-1);
                long end = t.path("data_offsets").path(1).asLong(-1);
                if (begin < 0 || end < begin || end > dataLen || end - begin != count * dtype.getNumOfBytes()) {
                    throw malformed(file, "tensor '" + e.getKey() + "' has offsets [" + begin + ", " + end
                            + "] that do not fit its shape " + new Shape(dims) + " " + dtype + " and the "
                            + dataLen + " data bytes");
                }
                ByteBuffer data = ByteBuffer.allocateDirect((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, data, dataStart + begin);
                data.rewind();
                NDArray array = count == 0
                        ? manager.create(new Shape(dims), dtype)
                        : manager.create(data, new Shape(dims), dtype);
                array.setName(e.getKey());
                tensors.put(e.getKey(), array);
            }
            return new Contents(tensors, metadata);
        }
    }

    /** Reads only the header: tensor names with shapes, and the metadata. */
    public static Map<String, Shape> readShapes(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > ch.size()) {
                throw malformed(file, "header length " + headerLen + " does not fit the file");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonNode header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
            Map<String, Shape> out = new LinkedHashMap<>();
            header.fields().forEachRemaining(e -> {
                if (!"__metadata__".equals(e.getKey())) {
                    long[] dims = new long[e.getValue().path("shape").size()];
                    for (int i = 0; i < dims.length; i++) {
                        dims[i] = e.getValue().path("shape").get(i).asLong();
                    }
                    out.put(e.getKey(), new Shape(dims));
                }
            });
            return out;
        }
    }

    /**
     * Writes tensors (in the given order) and metadata. The file appears complete or not at all: data go to a
     * temporary file in the same directory that is then moved over the target.
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtypeName(a.getDataType(), e.getKey()));
            var shape = t.putArray("shape");
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            long size = a.size() * a.getDataType().getNumOfBytes();
            t.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        byte[] headerBytes = JSON.writeValueAsBytes(header);
        // Pad the header with spaces so that the data start 8-byte aligned, as the reference writer does.
        int padded = (headerBytes.length + 7) / 8 * 8;
        byte[] head = new byte[padded];
        System.arraycopy(headerBytes, 0, head, 0, headerBytes.length);
        for (int i = headerBytes.length; i < padded; i++) {
            head[i] = ' ';
        }
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            out.write(len.array());
            out.write(head);
            for (NDArray a : tensors.values()) {
                if (a.size() > 0) {
                    out.write(a.toByteArray());
                }
            }
        });
    }

    private static DataType dataType(Path file, String key, String name) throws IOException {
        switch (name) {
            case "F32": return DataType.FLOAT32;
            case "F64": return DataType.FLOAT64;
            case "F16": return DataType.FLOAT16;
            case "BF16": return DataType.BFLOAT16;
            case "I64": return DataType.INT64;
            case "I32": return DataType.INT32;
            case "I16": return DataType.INT16;
            case "I8": return DataType.INT8;
            case "U8": return DataType.UINT8;
            case "BOOL": return DataType.BOOLEAN;
            default:
                throw malformed(file, "tensor '" + key + "' has unsupported dtype '" + name + "'");
        }
    }

    private static String dtypeName(DataType t, String key) {
        switch (t) {
            case FLOAT32: return "F32";
            case FLOAT64: return "F64";
            case FLOAT16: return "F16";
            case BFLOAT16: return "BF16";
            case INT64: return "I64";
            case INT32: return "I32";
            case INT16: return "I16";
            case INT8: return "I8";
            case UINT8: return "U8";
            case BOOLEAN: return "BOOL";
            default: throw new IllegalArgumentException("tensor '" + key + "' has type " + t
                    + ", which safetensors cannot hold");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static IOException malformed(Path file, String what) {
        return new IOException(file + ": not a readable safetensors file: " + what);
    }
}
