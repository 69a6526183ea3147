package ai.peft4j.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code peft4j demo} process of its own that adapts one target while its parent adapts another: on a small
 * machine two jobs of one engine thread each keep every core busy. The child runs this JVM's class path and engine
 * settings with one engine thread, and writes its console to {@code console.log} in its target folder.
 */
final class TargetProcess {
    static final String LOG = "console.log";

    private final Process process;
    private final Path folder;

    private TargetProcess(Process process, Path folder) {
        this.process = process;
        this.folder = folder;
    }

    /** Starts {@code peft4j <args>} with its console in {@code folder/console.log}. */
    static TargetProcess start(List<String> args, Path folder, PrintStream console) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (!Files.isExecutable(java)) {
            throw new IOException(java + ": not an executable java; the demo adapts its second target in a process "
                    + "started with the JVM it runs in (--jobs 1 adapts both here)");
        }
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path")));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("ai.djl."))
                .filter(k -> !k.equals("ai.djl.pytorch.num_threads")).sorted()
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.add("-Dai.djl.pytorch.num_threads=1");
        cmd.add("-Djava.awt.headless=true");
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        Files.createDirectories(folder);
        Path log = folder.resolve(LOG);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        console.printf("   %s adapts in process %d beside this one (its console: %s)%n", folder.getFileName(),
                p.pid(), log);
        return new TargetProcess(p, folder);
    }

    Path folder() {
        return folder;
    }

    /** Waits for the process; fails with the end of its console when it did not finish cleanly. */
    void await(PrintStream console) throws IOException {
        console.printf("== waiting for %s's process %d%n", folder.getFileName(), process.pid());
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the process adapting " + folder.getFileName(), e);
        }
        if (code != 0) {
            Path log = folder.resolve(LOG);
            List<String> lines = Files.exists(log)
                    ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            throw new IOException("the process adapting " + folder.getFileName() + " failed (exit " + code + "); "
                    + "the end of " + log + ":\n" + tail);
        }
        console.printf("   %s done%n", folder.getFileName());
    }

    /** Ends the process if it still runs (the parent failed). */
    void stop() {
        if (process.isAlive()) {
            process.destroy();
        }
    }
}
