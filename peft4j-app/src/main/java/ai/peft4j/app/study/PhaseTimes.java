package ai.peft4j.app.study;

import ai.peft4j.core.state.AtomicFiles;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Wall and CPU seconds of a study's phases (pretraining, each method's training, its scoring), so that a run on a
 * busy machine still says what it costs: CPU seconds are the process's own (every thread of the JVM, the engine's
 * included), and on a quiet machine one engine thread turns them into about as many wall seconds.
 */
public final class PhaseTimes {
    /** One phase: what it was, in which process (its PID), its wall and CPU seconds. */
    public record Phase(String name, long pid, double wallSeconds, double cpuSeconds) {}

    /** Work that may fail with an I/O error. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws IOException;
    }

    static final String CSV_HEADER = "phase,pid,wall_seconds,cpu_seconds";

    private final List<Phase> phases = Collections.synchronizedList(new ArrayList<>());

    /** Runs {@code work} and records its wall and process CPU seconds under {@code name}. */
    public <T> T time(String name, Work<T> work) throws IOException {
        long wall = System.nanoTime();
        double cpu = processCpuSeconds();
        T result = work.run();
        add(new Phase(name, ProcessHandle.current().pid(), (System.nanoTime() - wall) / 1e9,
                processCpuSeconds() - cpu));
        return result;
    }

    public void add(Phase p) {
        phases.add(p);
    }

    public List<Phase> phases() {
        synchronized (phases) {
            return List.copyOf(phases);
        }
    }

    /** CPU seconds this JVM has used so far, all its threads together; NaN where the JVM cannot say. */
    public static double processCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long ns = os.getProcessCpuTime();
            return ns < 0 ? Double.NaN : ns / 1e9;
        }
        return Double.NaN;
    }

    /** Names of phases that cover a whole process (JVM start included) rather than one step of the work. */
    public static final String WHOLE = "whole process: ";

    /** A phase that covers this whole process so far: wall seconds since the JVM started, all its CPU seconds. */
    public static Phase wholeProcess(String what) {
        return new Phase(WHOLE + what, ProcessHandle.current().pid(),
                ManagementFactory.getRuntimeMXBean().getUptime() / 1e3, processCpuSeconds());
    }

    /**
     * The phases as a plain-text table, with the sum of the phases' CPU seconds and, where whole processes were
     * recorded, their CPU seconds together (what the phases leave out: JVM start, engine loading, writing files).
     */
    public String table() {
        List<Phase> all = phases();
        int width = Math.max(24, all.stream().mapToInt(p -> p.name().length()).max().orElse(0));
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s  %8s  %8s  %7s%n", "phase",
                "wall s", "CPU s", "pid"));
        double cpu = 0;
        double whole = 0;
        boolean anyWhole = false;
        for (Phase p : all) {
            s.append(String.format(Locale.ROOT, "%-" + width + "s  %8.1f  %8.1f  %7d%n", p.name(), p.wallSeconds(),
                    p.cpuSeconds(), p.pid()));
            if (p.name().startsWith(WHOLE)) {
                whole += p.cpuSeconds();
                anyWhole = true;
            } else {
                cpu += p.cpuSeconds();
            }
        }
        s.append(String.format(Locale.ROOT, "%-" + width + "s  %8s  %8.1f%n", "sum of the phases", "", cpu));
        if (anyWhole) {
            s.append(String.format(Locale.ROOT, "%-" + width + "s  %8s  %8.1f%n", "all processes, whole", "", whole));
        }
        return s.toString();
    }

    /** Writes the phases as CSV, atomically. */
    public void write(Path file) throws IOException {
        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        for (Phase p : phases()) {
            csv.append(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f%n", p.name(), p.pid(), p.wallSeconds(),
                    p.cpuSeconds()));
        }
        AtomicFiles.write(file, o -> o.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** Reads a file {@link #write} wrote, adding its phases; fails naming the file and line it cannot read. */
    public void read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(CSV_HEADER)) {
            throw new IOException(file + ": not a phase-times file (expected the header " + CSV_HEADER + ")");
        }
        for (int i = 1; i < lines.size(); i++) {
            String[] c = lines.get(i).split(",", -1);
            try {
                add(new Phase(c[0], Long.parseLong(c[1]), Double.parseDouble(c[2]), Double.parseDouble(c[3])));
            } catch (RuntimeException e) {
                throw new IOException(file + ": line " + (i + 1) + " is not phase,pid,wall_seconds,cpu_seconds: "
                        + lines.get(i), e);
            }
        }
    }
}
