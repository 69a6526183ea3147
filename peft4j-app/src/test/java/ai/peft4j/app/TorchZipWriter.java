package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes tensors in torch.save's zip layout for CLI tests that need a model-sized .pth: {@code {"model": OrderedDict,
 * "epoch": 5}} with each tensor in its own storage. The reader's fidelity to real torch.save output is shown by the
 * fixtures in peft4j-core; this only builds inputs.
 */
public final class TorchZipWriter {
    private TorchZipWriter() {}

    public static void write(Path file, Map<String, NDArray> tensors, String keyPrefix) throws IOException {
        write(file, tensors, keyPrefix, -1);
    }

    /**
     * As {@link #write(Path, Map, String)}, with the first tensor's storage cut to its first {@code firstStorageBytes}
     * bytes (a damaged file; -1 keeps it whole).
     */
    static void write(Path file, Map<String, NDArray> tensors, String keyPrefix, int firstStorageBytes)
            throws IOException {
        write(file, tensors, keyPrefix, firstStorageBytes, true);
    }

    /** The bare OrderedDict, as {@code torch.save(model.state_dict())} and transformers' pytorch_model.bin. */
    public static void writeStateDict(Path file, Map<String, NDArray> tensors) throws IOException {
        write(file, tensors, "", -1, false);
    }

    private static void write(Path file, Map<String, NDArray> tensors, String keyPrefix, int firstStorageBytes,
            boolean inTrainingCheckpoint) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        if (inTrainingCheckpoint) {
            op(p, 0x80, 2, '}', '(');
            str(p, "model");
        } else {
            op(p, 0x80, 2);
        }
        global(p, "collections", "OrderedDict");
        op(p, ')', 'R', '(');
        int key = 0;
        ByteArrayOutputStream[] data = new ByteArrayOutputStream[tensors.size()];
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            str(p, keyPrefix + e.getKey());
            global(p, "torch._utils", "_rebuild_tensor_v2");
            op(p, '(', '(');
            str(p, "storage");
            global(p, "torch", storageClass(a));
            str(p, Integer.toString(key));
            str(p, "cpu");
            int64(p, a.size());
            op(p, 't', 'Q');
            int64(p, 0);
            long[] shape = a.getShape().getShape();
            op(p, '(');
            for (long d : shape) {
                int64(p, d);
            }
            op(p, 't', '(');
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= shape[i];
            }
            for (long s : strides) {
                int64(p, s);
            }
            op(p, 't', 0x89);
            global(p, "collections", "OrderedDict");
            op(p, ')', 'R', 't', 'R');
            data[key] = new ByteArrayOutputStream();
            byte[] bytes = a.size() == 0 ? new byte[0] : a.toByteArray();
            if (key == 0 && firstStorageBytes >= 0) {
                bytes = java.util.Arrays.copyOf(bytes, firstStorageBytes);
            }
            data[key].writeBytes(bytes);
            key++;
        }
        op(p, 'u');
        if (inTrainingCheckpoint) {
            str(p, "epoch");
            op(p, 'K', 5, 'u', '.');
        } else {
            op(p, '.');
        }
        try (OutputStream f = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(f)) {
            stored(z, "archive/data.pkl", p.toByteArray());
            for (int i = 0; i < data.length; i++) {
                stored(z, "archive/data/" + i, data[i].toByteArray());
            }
            stored(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static String storageClass(NDArray a) {
        switch (a.getDataType()) {
            case FLOAT32: return "FloatStorage";
            case INT64: return "LongStorage";
            case BOOLEAN: return "BoolStorage";
            default: throw new IllegalArgumentException("no storage class for " + a.getDataType());
        }
    }

    private static void op(ByteArrayOutputStream p, int... bytes) {
        for (int b : bytes) {
            p.write(b);
        }
    }

    private static void str(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op(p, 'X', b.length & 0xff, (b.length >> 8) & 0xff, 0, 0);
        p.writeBytes(b);
    }

    private static void global(ByteArrayOutputStream p, String module, String name) {
        p.writeBytes(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void int64(ByteArrayOutputStream p, long v) {
        op(p, 0x8a, 8);
        for (int i = 0; i < 8; i++) {
            p.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    private static void stored(ZipOutputStream z, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(bytes);
        z.closeEntry();
    }
}
