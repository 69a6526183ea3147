package ai.peft4j.train.bench;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Structure;
import java.util.Optional;

/**
 * glibc's malloc counters, through JNA: how many bytes the process's {@code malloc} has handed out and not freed
 * (libtorch's CPU tensors are {@code malloc}ed), and how many it holds free without giving them back to the system.
 * Where glibc is not the C library (or is older than 2.33), {@link #read} is empty.
 */
public final class NativeMemory {
    /** What one reading says, in bytes. */
    public record Counters(long inUse, long heldFree, long mapped) {}

    /** {@code struct mallinfo2}, all {@code size_t}. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        /** Returned by value. */
        public static class ByValue extends MallInfo2 implements Structure.ByValue {}
    }

    private interface GlibcMalloc extends Library {
        MallInfo2.ByValue mallinfo2();

        int malloc_trim(long pad);
    }

    private static final GlibcMalloc C = load();

    private NativeMemory() {}

    private static GlibcMalloc load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            GlibcMalloc c = Native.load("c", GlibcMalloc.class);
            c.mallinfo2();
            return c;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null; // musl, or a glibc without mallinfo2
        }
    }

    /** Whether the counters can be read here. */
    public static boolean available() {
        return C != null;
    }

    /**
     * In use: bytes handed out (arena chunks and mmapped blocks); held free: free bytes in the arenas, not given
     * back; mapped: the mmapped blocks alone (allocations above the mmap threshold, returned when freed).
     */
    public static Optional<Counters> read() {
        if (C == null) {
            return Optional.empty();
        }
        MallInfo2 m = C.mallinfo2();
        return Optional.of(new Counters(m.uordblks + m.hblkhd, m.fordblks, m.hblkhd));
    }

    /** Gives free arena memory back to the system ({@code malloc_trim(0)}); false where it cannot be called. */
    public static boolean trim() {
        if (C == null) {
            return false;
        }
        C.malloc_trim(0);
        return true;
    }
}
