package ai.peft4j.app.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PhaseTimesTest {
    @TempDir
    Path tmp;

    /**
     * A phase that burns 0.2 s of this thread's CPU (however long that takes on a busy machine) is charged at least
     * that much process CPU, and at least as much wall time; the file reads back.
     */
    @Test
    void time_chargesTheWork_andTheFileReadsBack() throws Exception {
        PhaseTimes t = new PhaseTimes();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = t.time("spin", () -> {
            long s = 0;
            long end = threads.getCurrentThreadCpuTime() + 200_000_000L;
            while (threads.getCurrentThreadCpuTime() < end) {
                s += System.nanoTime() % 7;
            }
            return s;
        });
        assertTrue(sum > 0);
        PhaseTimes.Phase p = t.phases().get(0);
        assertEquals(ProcessHandle.current().pid(), p.pid());
        // The process clock may tick in hundredths of a second.
        assertTrue(p.cpuSeconds() >= 0.19, p.toString());
        assertTrue(p.wallSeconds() >= 0.19, p.toString());
        t.add(new PhaseTimes.Phase("lemon full: training", 12, 61.24, 60.5));
        t.write(tmp.resolve("timings.csv"));

        PhaseTimes back = new PhaseTimes();
        back.read(tmp.resolve("timings.csv"));
        assertEquals(2, back.phases().size());
        assertEquals(new PhaseTimes.Phase("lemon full: training", 12, 61.24, 60.5), back.phases().get(1));
        assertTrue(back.table().contains("lemon full: training          61.2      60.5       12\n"), back.table());
        back.add(PhaseTimes.wholeProcess("test"));
        assertTrue(back.phases().get(2).cpuSeconds() >= p.cpuSeconds(), back.phases().toString());
        // The sum leaves the whole-process line out; that line has one of its own.
        assertEquals(p.cpuSeconds() + 60.5, lastNumber(back.table(), "sum of the phases"), 0.051);
        assertEquals(back.phases().get(2).cpuSeconds(), lastNumber(back.table(), "all processes, whole"), 0.051);
    }

    @Test
    void read_ofAnotherFile_failsNamingIt() throws Exception {
        Path f = tmp.resolve("timings.csv");
        Files.write(f, List.of("phase,pid,wall_seconds,cpu_seconds", "pretrain,abc,1,2"));
        IOException e = assertThrows(IOException.class, () -> new PhaseTimes().read(f));
        assertTrue(e.getMessage().startsWith(f + ": line 2 is not phase,pid,wall_seconds,cpu_seconds"),
                e.getMessage());
    }

    private static double lastNumber(String table, String lineStart) {
        String line = table.lines().filter(l -> l.startsWith(lineStart)).findFirst().orElseThrow();
        String[] words = line.trim().split("\\s+");
        return Double.parseDouble(words[words.length - 1]);
    }
}
