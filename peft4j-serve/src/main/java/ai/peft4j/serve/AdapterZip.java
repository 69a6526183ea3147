package ai.peft4j.serve;

import ai.peft4j.peft.AdapterFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * An uploaded adapter: a zip of an adapter directory, its two files at the top or in one folder. Entry names are
 * checked before anything is written (no absolute paths, no {@code ..}, only the adapter's files), and the unzipped
 * size is counted as it is read, so a zip bomb stops at the limit.
 */
final class AdapterZip {
    static final Set<String> FILES = Set.of(AdapterFiles.CONFIG, AdapterFiles.WEIGHTS);

    private AdapterZip() {}

    /** Unzips {@code zip} into the new folder {@code target}; on any refusal nothing is left behind. */
    static void extract(byte[] zip, Path target, long maxBytes) throws IOException {
        Map<String, byte[]> files = read(zip, maxBytes);
        Files.createDirectories(target);
        try {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                try (OutputStream out = Files.newOutputStream(target.resolve(e.getKey()))) {
                    out.write(e.getValue());
                }
            }
        } catch (IOException e) {
            deleteTree(target);
            throw e;
        }
    }

    /** The adapter's files by name, read in memory (an adapter is small next to the limit). */
    static Map<String, byte[]> read(byte[] zip, long maxBytes) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<String> folders = new ArrayList<>();
        long total = 0;
        int entries = 0;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries++;
                String name = e.getName();
                if (name.startsWith("/") || name.contains("\\") || name.matches("^[A-Za-z]:.*")) {
                    throw new ApiException(400, "zip entry '" + name + "' has an absolute path; zip the adapter "
                            + "folder with relative names");
                }
                for (String part : name.split("/")) {
                    if (part.equals("..")) {
                        throw new ApiException(400, "zip entry '" + name + "' leads out of the adapter folder "
                                + "('..'); refused");
                    }
                }
                if (e.isDirectory()) {
                    continue;
                }
                String[] parts = name.split("/");
                if (parts.length > 2 || !FILES.contains(parts[parts.length - 1])) {
                    throw new ApiException(400, "zip entry '" + name + "' is not an adapter file; an adapter zip "
                            + "holds " + AdapterFiles.CONFIG + " and " + AdapterFiles.WEIGHTS + ", at the top or in "
                            + "one folder");
                }
                if (parts.length == 2) {
                    folders.add(parts[0]);
                }
                byte[] data = readLimited(in, maxBytes - total, maxBytes);
                total += data.length;
                if (files.put(parts[parts.length - 1], data) != null) {
                    throw new ApiException(400, "zip holds " + parts[parts.length - 1] + " twice");
                }
            }
        } catch (ZipException e) {
            throw new ApiException(400, "not a valid zip archive (" + e.getMessage() + "); upload a zip of the "
                    + "adapter folder");
        } catch (IOException e) {
            throw new ApiException(400, "zip cannot be read (" + e.getMessage() + "); upload a zip of the adapter "
                    + "folder");
        }
        if (entries == 0) {
            throw new ApiException(400, "not a zip archive, or an empty one; upload a zip of the adapter folder ("
                    + AdapterFiles.CONFIG + " and " + AdapterFiles.WEIGHTS + ")");
        }
        if (folders.stream().distinct().count() > 1) {
            throw new ApiException(400, "zip holds adapter files in several folders " + folders.stream().distinct()
                    .toList() + "; upload one adapter per zip");
        }
        if (!files.keySet().containsAll(FILES)) {
            throw new ApiException(400, "zip lacks " + (files.containsKey(AdapterFiles.CONFIG) ? AdapterFiles.WEIGHTS
                    : AdapterFiles.CONFIG) + "; an adapter folder holds " + AdapterFiles.CONFIG + " and "
                    + AdapterFiles.WEIGHTS);
        }
        return files;
    }

    private static byte[] readLimited(InputStream in, long left, long max) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            out.write(buf, 0, n);
            if (out.size() > left) {
                throw new ApiException(413, "adapter zip unpacks to more than " + max + " bytes (max_adapter_bytes)");
            }
        }
        return out.toByteArray();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
