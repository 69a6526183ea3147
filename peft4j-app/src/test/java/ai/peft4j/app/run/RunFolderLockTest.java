package ai.peft4j.app.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFolderLockTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream console = new PrintStream(printed, true, StandardCharsets.UTF_8);

    @Test
    void take_recordsTheHolder_refusesASecondTaker_andIsFreeAgainAfterClose() throws Exception {
        Path run = tmp.resolve("runs/a");
        try (RunFolderLock held = RunFolderLock.take(run, console)) {
            String holder = Files.readString(run.resolve(RunFolderLock.FILE));
            assertTrue(holder.startsWith("pid=" + ProcessHandle.current().pid() + "\nhost="), holder);
            assertTrue(holder.contains("\nstarted=20"), holder);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunFolderLock.take(run,
                    console));
            assertTrue(e.getMessage().startsWith(run + " is in use by another run (PID "
                    + ProcessHandle.current().pid() + " on "), e.getMessage());
            // The refused taker leaves the holder's record alone.
            assertEquals(holder, Files.readString(run.resolve(RunFolderLock.FILE)));
        }
        assertFalse(Files.exists(run.resolve(RunFolderLock.FILE)));
        try (RunFolderLock again = RunFolderLock.take(run, console)) {
            assertTrue(Files.exists(run.resolve(RunFolderLock.FILE)));
        }
        assertEquals("", printed.toString(StandardCharsets.UTF_8), "nothing was stale");
    }

    /** Another process: takes the lock of the folder it is given and holds it until it is killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            try (RunFolderLock lock = RunFolderLock.take(Path.of(args[0]), System.out)) {
                System.out.println("held");
                System.in.read();
            }
        }
    }

    @Test
    void lockOfAnotherProcess_refuses_andAfterItsKillIsTakenOverWithANotice() throws Exception {
        Path run = tmp.resolve("runs/b");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process holder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Holder.class.getName(), run.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("held", out.readLine());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunFolderLock.take(run,
                    console));
            assertTrue(e.getMessage().startsWith(run + " is in use by another run (PID " + holder.pid() + " on "),
                    e.getMessage());
        } finally {
            holder.destroyForcibly().waitFor();
        }
        // SIGKILL: the lock file stays, the system's lock is gone with the process.
        assertTrue(Files.exists(run.resolve(RunFolderLock.FILE)));
        try (RunFolderLock taken = RunFolderLock.take(run, console)) {
            String notice = printed.toString(StandardCharsets.UTF_8);
            assertTrue(notice.startsWith("Taking over " + run.resolve(RunFolderLock.FILE) + ": the run that left it "
                    + "(PID " + holder.pid() + " on "), notice);
            assertTrue(notice.strip().endsWith(") has ended"), notice);
        }
    }

    @Test
    void take_removesPartialFilesOfInterruptedWrites_butNotThoseOfAnotherRunsFolder() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("study"));
        Path top = Files.write(run.resolve(".comparison.json81.tmp"), new byte[10]);
        Path adapter = Files.write(Files.createDirectories(run.resolve("lemon/lora/adapter"))
                .resolve(".adapter_model.safetensors5512.tmp"), new byte[10]);
        Path keptNames = Files.write(run.resolve(".notes.tmp"), new byte[1]);
        Path last = Files.write(run.resolve("last.safetensors"), new byte[1]);
        Path other = Files.createDirectories(run.resolve("inner"));
        Files.writeString(other.resolve(RunFolderLock.FILE), "pid=1\n");
        Path othersPartial = Files.write(other.resolve(".last.safetensors77.tmp"), new byte[1]);
        try (RunFolderLock lock = RunFolderLock.take(run, console)) {
            assertFalse(Files.exists(top));
            assertFalse(Files.exists(adapter));
            assertTrue(Files.exists(keptNames) && Files.exists(last) && Files.exists(othersPartial));
        }
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("Removed 2 partial files (0.0 MB) that an interrupted run left: "), out);
        assertTrue(out.contains(top.toString()) && out.contains(adapter.toString()), out);
        assertEquals(List.of(), RunFolderLock.removeLeftovers(run, console));
    }
}
