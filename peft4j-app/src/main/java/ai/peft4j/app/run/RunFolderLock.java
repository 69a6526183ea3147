package ai.peft4j.app.run;

import ai.peft4j.core.state.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's exclusive claim on its folder, held from before it writes its settings until it ends, so that two runs
 * never mix their checkpoints in one folder. The claim is an operating-system lock on {@value #FILE}, which names
 * the holder (PID, host, start time); the system releases the lock when the process dies, so a file left by a
 * killed run is taken over. Taking the lock also removes the partial files a killed run's interrupted writes left.
 *
 * <pre>{@code
 * try (RunFolderLock lock = RunFolderLock.take(out, console)) {
 *     // check the settings, write config.yaml, train
 * }
 * }</pre>
 */
public final class RunFolderLock implements AutoCloseable {
    /** The lock file's name in a run folder. */
    public static final String FILE = ".peft4j.lock";
    /** Partial files are looked for this deep: a study's folders hold runs of runs (target/method/adapter). */
    private static final int LEFTOVER_DEPTH = 4;
    private static final int TRIES = 5;

    /** The lock files this process holds, with their holders' records. */
    private static final Map<Path, String> HELD = new HashMap<>();

    private final Path file;
    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private RunFolderLock(Path file, Path key, FileChannel channel, FileLock lock) {
        this.file = file;
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dir} (created when missing), or fails naming the run that holds it; then removes the
     * partial files of interrupted writes in the folder, saying so on {@code console}.
     *
     * @throws IllegalStateException when another run, in this process or another, holds the folder
     */
    public static RunFolderLock take(Path dir, PrintStream console) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        Path key = dir.toRealPath().resolve(FILE);
        String holder = "pid=" + ProcessHandle.current().pid() + "\nhost=" + host() + "\nstarted=" + Instant.now()
                + "\n";
        // Runs of this process are told apart here, before a second channel opens the file: closing any channel
        // of a file drops all of the process's locks on it (POSIX), the holder's included.
        synchronized (HELD) {
            String other = HELD.putIfAbsent(key, holder);
            if (other != null) {
                throw inUse(dir, other);
            }
        }
        try {
            for (int attempt = 0; attempt < TRIES; attempt++) {
                RunFolderLock taken = tryTake(dir, file, key, holder, console);
                if (taken != null) {
                    return taken;
                }
            }
        } catch (IOException | RuntimeException e) {
            release(key);
            throw e;
        }
        release(key);
        throw new IOException(file + ": the lock file was replaced " + TRIES + " times while taking it; is another "
                + "run starting in " + dir + "? Try again");
    }

    /** The lock, or null when the file at the path changed while taking it (its holder removed it). */
    private static RunFolderLock tryTake(Path dir, Path file, Path key, String holder, PrintStream console)
            throws IOException {
        Object before = identity(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        String previous;
        try {
            FileLock lock = ch.tryLock();
            previous = read(ch);
            if (lock == null) {
                throw inUse(dir, previous);
            }
            // A holder that ended may have removed the file after we opened it, and a lock on a removed file
            // claims nothing: the path must have named one file from before the opening until after the locking.
            // (Comparing the content would open the file a second time, and closing that drops the lock.)
            Object after = identity(file);
            if (before == null || !before.equals(after)) {
                ch.close();
                return null;
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            if (!previous.isBlank()) {
                console.printf(Locale.ROOT, "Taking over %s: the run that left it (%s) has ended%n", file,
                        describe(previous));
            }
            RunFolderLock taken = new RunFolderLock(file, key, ch, lock);
            try {
                removeLeftovers(dir, console);
            } catch (IOException | RuntimeException e) {
                taken.close();
                throw e;
            }
            return taken;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Removes the lock file and releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            // Removed while still held, so that no run can take the lock on the file that is going away.
            Files.deleteIfExists(file);
        } finally {
            try (FileChannel ch = channel) {
                lock.release();
            } finally {
                release(key);
            }
        }
    }

    private static void release(Path key) {
        synchronized (HELD) {
            HELD.remove(key);
        }
    }

    private static IllegalStateException inUse(Path dir, String holder) {
        return new IllegalStateException(dir + " is in use by another run (" + describe(holder) + "); wait for it "
                + "to end, or give this run another output folder");
    }

    /** What names the file at {@code path} (device and inode), or null when there is none. */
    private static Object identity(Path path) throws IOException {
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            // Without file keys (Windows) an open file cannot be removed, so that it exists is enough.
            return key != null ? key : Boolean.TRUE;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Deletes the temporaries of interrupted atomic writes under {@code dir}; folders holding a lock file of their
     * own are other runs' folders and are left to them.
     */
    static List<Path> removeLeftovers(Path dir, PrintStream console) throws IOException {
        List<Path> removed = new ArrayList<>();
        long[] bytes = {0};
        Files.walkFileTree(dir, EnumSet.noneOf(FileVisitOption.class), LEFTOVER_DEPTH,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                        return !d.equals(dir) && Files.exists(d.resolve(FILE)) ? FileVisitResult.SKIP_SUBTREE
                                : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                        if (attrs.isRegularFile() && AtomicFiles.isTemporary(f) && Files.deleteIfExists(f)) {
                            removed.add(f);
                            bytes[0] += attrs.size();
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path f, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }
                });
        if (!removed.isEmpty()) {
            console.printf(Locale.ROOT, "Removed %d partial file%s (%.1f MB) that an interrupted run left: %s%n",
                    removed.size(), removed.size() == 1 ? "" : "s", bytes[0] / 1e6, removed);
        }
        return removed;
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
        int n = 0;
        while (b.hasRemaining() && n >= 0) {
            n = ch.read(b, b.position());
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    /** "PID 123 on host, started 2026-12-07T10:55:00Z" from the lock file's lines. */
    private static String describe(String holder) {
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : holder.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                v.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        if (!v.containsKey("pid")) {
            return "holder not recorded yet";
        }
        return "PID " + v.get("pid") + (v.containsKey("host") ? " on " + v.get("host") : "")
                + (v.containsKey("started") ? ", started " + v.get("started") : "");
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }
}
