package ai.peft4j.core.pickle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Hand-written pickle opcodes for tests of files that torch.save would never write. */
final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBytes op(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X', b.length & 0xff, (b.length >> 8) & 0xff, 0, 0);
        out.writeBytes(b);
        return this;
    }

    PickleBytes global(String module, String name) {
        return text("c" + module + "\n" + name + "\n");
    }

    PickleBytes text(String ascii) {
        out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** An int as LONG1 with 8 bytes, so any long fits. */
    PickleBytes int64(long v) {
        op(0x8a, 8);
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    /** A tensor as torch.save pickles it: _rebuild_tensor_v2 over storage {@code key} of {@code storageClass}. */
    PickleBytes tensor(String storageClass, String key, long elements, long offset, long[] shape, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").op('(');
        op('(').str("storage").global("torch", storageClass).str(key).str("cpu").int64(elements).op('t', 'Q');
        int64(offset).op('(');
        for (long d : shape) {
            int64(d);
        }
        op('t', '(');
        for (long s : stride) {
            int64(s);
        }
        op('t', 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R');
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** A zip checkpoint as torch.save lays it out: {@code archive/data.pkl} and one entry per storage. */
    static void writeZip(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(z, "archive/data.pkl", pickle);
            for (Map.Entry<String, byte[]> e : storages.entrySet()) {
                stored(z, "archive/data/" + e.getKey(), e.getValue());
            }
            stored(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
