package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.train.loop.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run folders: reruns with other settings are refused, one run at a time holds a folder, no partial files stay. */
class RunFolderCliTest {
    @TempDir
    Path tmp;

    private Path runFile(Path data, Path out) throws Exception {
        return TinyRuns.RunFile.voc(data, CitrusDomain.ORANGE.classNames()).training("val_every", "1")
                .training("augment", "false").write(tmp.resolve("run.yaml"), out);
    }

    /** Every file under {@code dir} with its bytes. */
    private static Map<String, byte[]> snapshot(Path dir) throws Exception {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return files;
    }

    private static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k + " changed"));
    }

    @Test
    void rerunWithOtherModelOrDataSettings_isRefusedNamingTheKeys_andTheRunStaysAsItWas() throws Exception {
        new SyntheticCitrus(CitrusDomain.ORANGE, 10, 64, 1).writeVoc(tmp.resolve("voc"));
        Path run = tmp.resolve("runs/orange");
        Path config = runFile(tmp.resolve("voc"), run);
        // A killed run left its lock file (no process holds its lock any more) and half a checkpoint.
        Files.createDirectories(run);
        Files.writeString(run.resolve(RunFolderLock.FILE),
                "pid=999999\nhost=elsewhere\nstarted=2026-12-01T08:00:00Z\n");
        Path partial = Files.write(run.resolve(".last.safetensors4471902833.tmp"), new byte[1 << 20]);
        CliRun first = CliRun.of("train", "--config", config.toString());
        assertEquals(0, first.code(), first.err() + first.out());
        assertTrue(first.out().contains("Taking over " + run.resolve(RunFolderLock.FILE) + ": the run that left it "
                + "(PID 999999 on elsewhere, started 2026-12-01T08:00:00Z) has ended"), first.out());
        assertTrue(first.out().contains("Removed 1 partial file (1.0 MB) that an interrupted run left: [" + partial
                + "]"), first.out());
        assertFalse(Files.exists(partial));
        assertFalse(Files.exists(run.resolve(RunFolderLock.FILE)), "the lock file is removed at the end");
        Map<String, byte[]> done = snapshot(run);
        assertTrue(done.containsKey(Trainer.LAST) && done.containsKey("config.yaml"), done.keySet().toString());

        CliRun size = CliRun.of("train", "--config", config.toString(), "--size", "64");
        assertEquals(2, size.code(), size.err() + size.out());
        assertEquals("error: " + run + " holds a run with other settings (saved in " + run.resolve("config.yaml")
                + "; saved -> now): model.image_size: 32 -> 64. Use a new output directory (--out), or resume with "
                + "the saved settings: --config " + run.resolve("config.yaml"), size.err().strip());
        assertSameFiles(done, snapshot(run));

        CliRun data = CliRun.of("train", "--config", config.toString(), "--set", "data.out_of_range=ignore", "--set",
                "data.class_names=[background, sunburn, ulcer, wind]");
        assertEquals(2, data.code(), data.err() + data.out());
        assertTrue(data.err().contains("): data.class_names: [\"background\",\"sunburn\",\"ulcer\",\"wind "
                + "scarring\"] -> [\"background\",\"sunburn\",\"ulcer\",\"wind\"]; data.out_of_range: error -> "
                + "ignore. "), data.err());
        assertEquals(1, data.err().strip().lines().count(), data.err());
        assertSameFiles(done, snapshot(run));

        // The same settings (the loader threads do not count) continue the run; the saved file resumes it too.
        CliRun same = CliRun.of("train", "--config", config.toString(), "--loader-threads", "2");
        assertEquals(0, same.code(), same.err() + same.out());
        assertTrue(same.out().contains("Resuming " + run + " after epoch 1 of 1"), same.out());
        CliRun saved = CliRun.of("train", "--config", run.resolve("config.yaml").toString());
        assertEquals(0, saved.code(), saved.err() + saved.out());
        assertTrue(saved.out().contains("Resuming " + run + " after epoch 1 of 1"), saved.out());
        assertArrayEquals(done.get(Trainer.LAST), Files.readAllBytes(run.resolve(Trainer.LAST)));
    }

    @Test
    void heldLock_refusesASecondRun_withTheHoldersPid_andWritesNothing() throws Exception {
        new SyntheticCitrus(CitrusDomain.ORANGE, 10, 64, 1).writeVoc(tmp.resolve("voc"));
        Path run = tmp.resolve("runs/orange");
        Path config = runFile(tmp.resolve("voc"), run);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        try (RunFolderLock held = RunFolderLock.take(run, quiet)) {
            CliRun second = CliRun.of("train", "--config", config.toString());
            assertEquals(2, second.code(), second.err() + second.out());
            String err = second.err().strip();
            assertTrue(err.startsWith("error: " + run + " is in use by another run (PID "
                    + ProcessHandle.current().pid() + " on "), err);
            assertTrue(err.endsWith("); wait for it to end, or give this run another output folder"), err);
            assertFalse(err.contains("\tat "), "no stack trace: " + err);
            try (Stream<Path> s = Files.list(run)) {
                assertEquals(List.of(run.resolve(RunFolderLock.FILE)), s.toList());
            }
        }
        assertFalse(Files.exists(run.resolve(RunFolderLock.FILE)));
    }

    @Test
    void distillRerunWithAnotherSize_isRefusedNamingTheOption_andTheSameOptionsResume() throws Exception {
        new SyntheticCitrus(CitrusDomain.ORANGE, 10, 64, 1).writeVoc(tmp.resolve("voc"));
        Path ckpt = tmp.resolve("unet.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(ckpt, new SwinAttUNet(m, SwinAttUNetConfig.fixture(4)).stateDict(), Map.of());
        }
        Path out = tmp.resolve("kd");
        List<String> args = List.of("distill", "--teacher", ckpt.toString(), "--teacher-model", "swin-att-unet",
                "--teacher-backbone", "swin-fixture", "--student", "fastsegformer-p", "--data",
                tmp.resolve("voc").toString(), "--out", out.toString(), "--epochs", "1", "--batch", "2",
                "--teacher-size", "32", "--loader-threads", "1", "--train-limit", "2");
        CliRun first = CliRun.of(concat(args, "--size", "32"));
        assertEquals(0, first.code(), first.err() + first.out());
        Map<String, byte[]> done = snapshot(out);

        CliRun other = CliRun.of(concat(args, "--size", "64"));
        assertEquals(2, other.code(), other.err() + other.out());
        assertTrue(other.err().startsWith("error: " + out + " holds a run with other settings (saved in "
                + out.resolve(Trainer.LAST) + "; saved -> now): --size: 32 -> 64. Use a new --out"), other.err());
        assertSameFiles(done, snapshot(out));

        CliRun same = CliRun.of(concat(args, "--size", "32"));
        assertEquals(0, same.code(), same.err() + same.out());
        assertTrue(same.out().contains("Resuming " + out + " after epoch 1 of 1"), same.out());
    }

    private static String[] concat(List<String> args, String... more) {
        return Stream.concat(args.stream(), Stream.of(more)).toArray(String[]::new);
    }
}
