package ai.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a training JVM with SIGKILL in the middle of an epoch, restarts it with the same command and checks that it
 * continues from the last checkpoint, losing at most the epoch it was in, and that its final weights are those of a
 * run that was never interrupted: every epoch reseeds the engine and the loader shuffles by epoch, and the CPU
 * kernels are deterministic for a fixed thread count, so the resumed run repeats the lost epoch bit for bit.
 */
class ResumeAfterKillTest {
    private static final long TIMEOUT_S = 120;

    @Test
    void resume_afterKill_losesAtMostOneEpoch_andEndsWithUninterruptedWeights(@TempDir Path tmp) throws Exception {
        Path killed = tmp.resolve("killed");
        Path straight = tmp.resolve("straight");

        Process first = start(killed);
        BlockingQueue<String> lines = readLines(first);
        int lastDone = 0;
        while (lastDone < 3) {
            String line = lines.poll(TIMEOUT_S, TimeUnit.SECONDS);
            assertNotNull(line, "the training process printed nothing for " + TIMEOUT_S + " s");
            if (line.startsWith("EPOCH_DONE ")) {
                lastDone = Integer.parseInt(line.substring(11).trim());
            }
        }
        // Four batches of at least 40 ms each: 100 ms later the run is inside epoch 4.
        Thread.sleep(100);
        first.destroyForcibly();
        assertTrue(first.waitFor(TIMEOUT_S, TimeUnit.SECONDS));
        assertEquals(137, first.exitValue(), "the process should have died of SIGKILL");
        for (String line = lines.poll(); line != null; line = lines.poll()) {
            if (line.startsWith("EPOCH_DONE ")) {
                lastDone = Math.max(lastDone, Integer.parseInt(line.substring(11).trim()));
            }
        }
        int checkpointed;
        try (NDManager m = EngineSetup.newManager()) {
            checkpointed = Checkpoint.read(killed.resolve(Trainer.LAST), m).epochsDone();
        }
        assertTrue(checkpointed >= lastDone && checkpointed < KillableRun.EPOCHS,
                "checkpoint after epoch " + checkpointed + ", last reported " + lastDone);

        List<String> resumedOut = runToEnd(killed);
        assertTrue(resumedOut.contains("RESUMED_FROM " + checkpointed), resumedOut.toString());
        assertTrue(resumedOut.contains("EPOCH_DONE " + (checkpointed + 1)), resumedOut.toString());
        assertTrue(!resumedOut.contains("EPOCH_DONE " + checkpointed), "no completed epoch is trained twice");

        List<String> straightOut = runToEnd(straight);
        assertTrue(straightOut.contains("RESUMED_FROM 0"), straightOut.toString());

        List<String> csv = Files.readAllLines(killed.resolve(Trainer.LOG));
        assertEquals(KillableRun.EPOCHS + 1, csv.size());
        for (int e = 1; e <= KillableRun.EPOCHS; e++) {
            assertTrue(csv.get(e).startsWith(e + ","), csv.toString());
        }
        // Same losses and metrics per epoch (the seconds column differs).
        List<String> straightCsv = Files.readAllLines(straight.resolve(Trainer.LOG));
        for (int e = 1; e <= KillableRun.EPOCHS; e++) {
            assertEquals(withoutSeconds(straightCsv.get(e)), withoutSeconds(csv.get(e)), "epoch " + e);
        }
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> a = Checkpoint.read(straight.resolve(Trainer.LAST), m).modelState();
            Map<String, NDArray> b = Checkpoint.read(killed.resolve(Trainer.LAST), m).modelState();
            assertEquals(a.keySet(), b.keySet());
            for (String k : a.keySet()) {
                assertTrue(a.get(k).contentEquals(b.get(k)), "tensor " + k + " differs from the uninterrupted run");
            }
        }
    }

    private static String withoutSeconds(String row) {
        return row.substring(0, row.lastIndexOf(','));
    }

    private static Process start(Path dir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // One engine thread: the same kernels in both runs, and no spinning threads on a busy machine.
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-Djava.awt.headless=true", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1", "-cp", cp, KillableRun.class.getName(), dir.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private static BlockingQueue<String> readLines(Process p) {
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    q.add(line);
                }
            } catch (IOException e) {
                // The process was killed; what was read is in the queue.
            }
        });
        t.setDaemon(true);
        t.start();
        return q;
    }

    private static List<String> runToEnd(Path dir) throws Exception {
        Process p = start(dir);
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                out.add(line);
            }
        }
        assertTrue(p.waitFor(TIMEOUT_S, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "training process failed:\n" + String.join("\n", out));
        return out;
    }
}
