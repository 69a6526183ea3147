package ai.peft4j.core.pickle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A PyTorch checkpoint as {@code torch.save} writes it, read without Python and without running anything it holds.
 * Two formats: the zip archive (default since PyTorch 1.6: {@code <name>/data.pkl}, one {@code <name>/data/<key>}
 * entry per storage, an optional {@code byteorder}) and the legacy single file (a pickled magic number, protocol
 * version and system info, the pickled object, the pickled list of storage keys, then each storage as an 8-byte
 * element count and its raw bytes). The file stays open until {@link #close()}: storages are read when a tensor is.
 */
public final class PthFile implements Closeable {
    /** {@code torch.serialization.MAGIC_NUMBER} of the legacy format. */
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final long LEGACY_PROTOCOL = 1001;
    /** The pickle of one checkpoint's structure: generous, but a bound before its bytes are read. */
    private static final long MAX_PICKLE = 1L << 30;
    /** Where trainers keep the model's state dict inside a checkpoint, in the order they are tried. */
    public static final List<String> STATE_DICT_KEYS = List.of("state_dict", "model", "model_state_dict", "module",
            "net");

    /** The file's layout. */
    public enum Format { ZIP, LEGACY }

    /**
     * A checkpoint's state dict.
     *
     * @param location where it was found: "" for the top level, else the key of the sub-dict, such as "model"
     * @param tensors the tensors by name, in file order
     */
    public record StateDict(String location, Map<String, TorchTensor> tensors) {}

    private final Path file;
    private final Format format;
    private final Object root;
    private final Closeable resource;
    private final List<TorchStorage> storages;

    private PthFile(Path file, Format format, Object root, Closeable resource, List<TorchStorage> storages) {
        this.file = file;
        this.format = format;
        this.root = root;
        this.resource = resource;
        this.storages = storages;
    }

    /**
     * Whether the file's first bytes are those of a PyTorch checkpoint (a zip archive or a pickle) rather than of a
     * safetensors file, whatever its name.
     */
    public static boolean isPyTorchFile(Path file) throws IOException {
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 9 && head[8] == '{') {
            return false; // safetensors: 8-byte header length, then the JSON header
        }
        boolean zip = n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        boolean pickle = n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5;
        return zip || pickle;
    }

    /** Opens and unpickles a checkpoint; tensors are read later, on demand. */
    public static PthFile open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": PyTorch checkpoint not found");
        }
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 4) < 4) {
                throw new IOException(file + ": " + Files.size(file) + " bytes, too short for a PyTorch checkpoint");
            }
        }
        return head[0] == 'P' && head[1] == 'K' ? openZip(file) : openLegacy(file);
    }

    public Path file() {
        return file;
    }

    public Format format() {
        return format;
    }

    /** The unpickled object: dicts, lists, {@link Tuple}s, plain values and {@link TorchTensor}s. */
    public Object root() {
        return root;
    }

    /**
     * The state dict: the top level when it holds tensors, else the first sub-dict with tensors under
     * {@link #STATE_DICT_KEYS} (a training checkpoint's {@code model} or {@code state_dict}), one level deeper
     * at most. Other entries (epoch, optimiser state, configuration) are left unread.
     */
    public StateDict stateDict() throws IOException {
        StateDict sd = find(root, "", 0);
        if (sd == null) {
            throw new IOException(file + ": holds no state dict: expected tensors by name at the top level or under "
                    + String.join(", ", STATE_DICT_KEYS) + "; the top level is " + describe(root));
        }
        for (Map.Entry<String, TorchTensor> e : sd.tensors().entrySet()) {
            e.getValue().checkBounds(qualified(sd.location(), e.getKey()));
        }
        return sd;
    }

    /** The state dict's tensors in {@code manager}, by their names in the state dict. */
    public Map<String, NDArray> readStateDict(NDManager manager) throws IOException {
        StateDict sd = stateDict();
        // A storage's bytes are dropped once the last tensor that views it is copied out, so that the peak is about
        // one model's weights plus the largest storage, not twice the model.
        Map<TorchStorage, Integer> uses = new IdentityHashMap<>();
        sd.tensors().values().forEach(t -> uses.merge(t.storage(), 1, Integer::sum));
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, TorchTensor> e : sd.tensors().entrySet()) {
                TorchStorage s = e.getValue().storage();
                out.put(e.getKey(), e.getValue().toNDArray(manager, e.getKey()));
                if (uses.merge(s, -1, Integer::sum) == 0) {
                    s.release();
                }
            }
        } finally {
            storages.forEach(TorchStorage::release);
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        storages.forEach(TorchStorage::release);
        resource.close();
    }

    private static StateDict find(Object o, String location, int depth) {
        if (!(o instanceof Map<?, ?> m)) {
            return null;
        }
        Map<String, TorchTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getKey() instanceof String k && e.getValue() instanceof TorchTensor t) {
                tensors.put(k, t);
            }
        }
        if (!tensors.isEmpty()) {
            return new StateDict(location, tensors);
        }
        if (depth >= 2) {
            return null;
        }
        for (String k : STATE_DICT_KEYS) {
            StateDict sd = find(m.get(k), qualified(location, k), depth + 1);
            if (sd != null) {
                return sd;
            }
        }
        return null;
    }

    private static String qualified(String location, String key) {
        return location.isEmpty() ? key : location + "/" + key;
    }

    private static String describe(Object o) {
        if (o instanceof Map<?, ?> m) {
            List<String> keys = new ArrayList<>();
            for (Object k : m.keySet()) {
                if (keys.size() == 12) {
                    keys.add("...");
                    break;
                }
                keys.add(String.valueOf(k));
            }
            return "a dict with keys " + keys;
        }
        return o == null ? "None" : "a " + o.getClass().getSimpleName();
    }

    private static PthFile openZip(Path file) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new IOException(file + ": not a readable PyTorch zip checkpoint (" + e.getMessage()
                    + "): the file is truncated or damaged; copy or download it again");
        }
        try {
            String prefix = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements();) {
                String name = en.nextElement().getName();
                int slash = name.indexOf('/');
                if (slash > 0 && name.substring(slash).equals("/data.pkl")) {
                    prefix = name.substring(0, slash + 1);
                    break;
                }
            }
            if (prefix == null) {
                throw new IOException(file + ": a zip archive without <name>/data.pkl, so not a PyTorch checkpoint");
            }
            boolean bigEndian = false;
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                try (InputStream in = zip.getInputStream(order)) {
                    bigEndian = "big".equals(new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim());
                }
            }
            ZipEntry pkl = zip.getEntry(prefix + "data.pkl");
            long size = pkl.getSize() < 0 ? MAX_PICKLE : Math.min(pkl.getSize(), MAX_PICKLE);
            List<TorchStorage> storages = new ArrayList<>();
            Map<String, TorchStorage> byKey = new LinkedHashMap<>();
            String dataPrefix = prefix + "data/";
            boolean big = bigEndian;
            Object root;
            try (InputStream in = new BufferedInputStream(zip.getInputStream(pkl), 1 << 16)) {
                Unpickler u = new Unpickler(new PickleInput(in, file.toString(), size), pid -> {
                    StoragePid p = StoragePid.of(file, pid, 5);
                    TorchStorage s = byKey.get(p.key());
                    if (s == null) {
                        s = new TorchStorage(file.toString(), p.key(), p.dtype(), p.elements());
                        ZipEntry entry = zip.getEntry(dataPrefix + p.key());
                        if (entry != null) {
                            s.bind(zipData(file, zip, entry, p.key()), big);
                        }
                        byKey.put(p.key(), s);
                        storages.add(s);
                    }
                    return s;
                });
                root = u.load();
            } catch (ZipException e) {
                throw new IOException(file + ": damaged zip entry data.pkl (" + e.getMessage() + ")");
            }
            return new PthFile(file, Format.ZIP, root, zip, storages);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static TorchStorage.Data zipData(Path file, ZipFile zip, ZipEntry entry, String key) {
        return new TorchStorage.Data() {
            @Override
            public long length() {
                return Math.max(entry.getSize(), 0);
            }

            @Override
            public ByteBuffer read() throws IOException {
                long n = length();
                if (n > TorchTensor.MAX_BYTES) {
                    throw new IOException(file + ": storage '" + key + "' has " + n + " bytes, more than one "
                            + "buffer holds");
                }
                ByteBuffer b = ByteBuffer.allocateDirect((int) n).order(ByteOrder.LITTLE_ENDIAN);
                byte[] chunk = new byte[1 << 16];
                try (InputStream in = zip.getInputStream(entry)) {
                    while (b.hasRemaining()) {
                        int r = in.read(chunk, 0, Math.min(chunk.length, b.remaining()));
                        if (r < 0) {
                            throw new EOFException();
                        }
                        b.put(chunk, 0, r);
                    }
                } catch (ZipException | EOFException e) {
                    throw new IOException(file + ": storage '" + key + "' cannot be read in full (the file is "
                            + "truncated or damaged)");
                }
                b.flip();
                return b;
            }
        };
    }

    private static PthFile openLegacy(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            String source = file.toString();
            PickleInput in = new PickleInput(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16), source,
                    size);
            Object magic = new Unpickler(in, pid -> {
                throw new IOException(source + ": not a PyTorch checkpoint (a persistent id before the header)");
            }).load();
            if (!(magic instanceof BigInteger b && b.equals(LEGACY_MAGIC))) {
                throw new IOException(source + ": a pickle, but not a PyTorch checkpoint (it does not start with "
                        + "torch.save's magic number)");
            }
            Object protocol = new Unpickler(in, pid -> null).load();
            if (!Long.valueOf(LEGACY_PROTOCOL).equals(protocol)) {
                throw new IOException(source + ": legacy PyTorch format version " + protocol + ", expected "
                        + LEGACY_PROTOCOL);
            }
            Object sysInfo = new Unpickler(in, pid -> null).load();
            boolean bigEndian = sysInfo instanceof Map<?, ?> info && Boolean.FALSE.equals(info.get("little_endian"));
            Map<String, TorchStorage> roots = new LinkedHashMap<>();
            List<Object[]> views = new ArrayList<>();
            Object root = new Unpickler(in, pid -> {
                StoragePid p = StoragePid.of(file, pid, 6);
                TorchStorage s = roots.get(p.key());
                if (s == null) {
                    s = new TorchStorage(source, p.key(), p.dtype(), p.elements());
                    roots.put(p.key(), s);
                }
                if (p.view() == null) {
                    return s;
                }
                // A view of an older torch: (view key, element offset, element count) of the root storage.
                TorchStorage v = new TorchStorage(source, p.view().key(), p.dtype(), p.view().elements());
                views.add(new Object[] {v, s, p.view().offset()});
                return v;
            }).load();
            Object keys = new Unpickler(in, pid -> null).load();
            if (!(keys instanceof List<?> keyList)) {
                throw new IOException(source + ": legacy checkpoint without its list of storage keys (truncated?)");
            }
            long pos = in.position();
            for (Object k : keyList) {
                TorchStorage s = roots.get(String.valueOf(k));
                if (s == null) {
                    throw new IOException(source + ": storage '" + k + "' is listed but no tensor uses it");
                }
                ByteBuffer count = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, count, pos, source, s.key());
                long elements = count.getLong(0);
                long bytes = elements < 0 || elements > size ? -1 : elements * s.dtype().bytes();
                if (bytes < 0 || pos + 8 + bytes > size) {
                    throw new IOException(source + ": storage '" + s.key() + "' declares " + elements + " elements, "
                            + "more than the rest of the file holds (the file is truncated or damaged)");
                }
                s.bind(fileData(ch, pos + 8, bytes, source, s.key()), bigEndian);
                pos += 8 + bytes;
            }
            for (Object[] v : views) {
                TorchStorage view = (TorchStorage) v[0];
                TorchStorage base = (TorchStorage) v[1];
                long offset = (Long) v[2] * base.dtype().bytes();
                long length = view.declaredElements() * base.dtype().bytes();
                view.bind(new TorchStorage.Data() {
                    @Override
                    public long length() {
                        return length;
                    }

                    @Override
                    public ByteBuffer read() throws IOException {
                        ByteBuffer b = base.bytes();
                        if (offset < 0 || offset + length > b.capacity()) {
                            throw new IOException(source + ": storage view '" + view.key() + "' lies outside '"
                                    + base.key() + "'");
                        }
                        b.position((int) offset).limit((int) (offset + length));
                        return b.slice().order(ByteOrder.LITTLE_ENDIAN);
                    }
                }, bigEndian);
            }
            List<TorchStorage> all = new ArrayList<>(roots.values());
            views.forEach(v -> all.add((TorchStorage) v[0]));
            return new PthFile(file, Format.LEGACY, root, ch, all);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static TorchStorage.Data fileData(FileChannel ch, long offset, long length, String source, String key) {
        return new TorchStorage.Data() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public ByteBuffer read() throws IOException {
                if (length > TorchTensor.MAX_BYTES) {
                    throw new IOException(source + ": storage '" + key + "' has " + length + " bytes, more than one "
                            + "buffer holds");
                }
                ByteBuffer b = ByteBuffer.allocateDirect((int) length).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, b, offset, source, key);
                b.flip();
                return b;
            }
        };
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, String source, String key)
            throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new IOException(source + ": storage '" + key + "' ends early (the file is truncated)");
            }
            pos += n;
        }
    }

    /**
     * A storage's persistent id: {@code ('storage', torch.FloatStorage, key, location, elements)}, and in the legacy
     * format a sixth item, None or {@code (view_key, offset, view_elements)}.
     */
    private record StoragePid(TorchDtype dtype, String key, long elements, View view) {
        record View(String key, long offset, long elements) {}

        static StoragePid of(Path file, Object pid, int maxItems) throws IOException {
            if (!(pid instanceof Tuple t) || t.size() < 5 || t.size() > maxItems || !"storage".equals(t.get(0))) {
                throw new IOException(file + ": refused to load: persistent id " + pid + " is not a tensor storage");
            }
            if (!(t.get(1) instanceof Unpickler.StorageType type)) {
                throw new IOException(file + ": storage of unsupported type " + t.get(1));
            }
            if (!(t.get(4) instanceof Long n) || n < 0) {
                throw new IOException(file + ": storage '" + t.get(2) + "' has a bad size " + t.get(4));
            }
            View view = null;
            if (t.size() == 6 && t.get(5) != null) {
                if (!(t.get(5) instanceof Tuple v) || v.size() != 3 || !(v.get(1) instanceof Long off)
                        || !(v.get(2) instanceof Long len)) {
                    throw new IOException(file + ": storage '" + t.get(2) + "' has a malformed view " + t.get(5));
                }
                view = new View(String.valueOf(v.get(0)), off, len);
            }
            return new StoragePid(type.dtype(), String.valueOf(t.get(2)), n, view);
        }
    }
}
