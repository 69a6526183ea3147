package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.train.bench.TrainStepBenchmark;
import ai.peft4j.train.bench.TrainStepProfile;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One method's training steps in a process of its own, started by {@code peft4j bench train}: the process's peak
 * resident size (Linux's VmHWM) is then the method's own, not what the allocator kept from the method before. It
 * prints its result as one JSON line after {@link #RESULT}.
 *
 * <p>Arguments: backbone, size, batch, classes, warm-up steps, timed steps, method, memory setting ({@code plain},
 * {@code default} or {@code checkpoint}), {@code profile} or {@code time} (a memory profile of one step after the
 * timed steps, or none), then the checkpoint patterns.
 */
final class TrainStepProcess {
    static final String RESULT = "peft4j-train-step ";

    private TrainStepProcess() {}

    public static void main(String[] args) throws Exception {
        String backbone = args[0];
        int size = Integer.parseInt(args[1]);
        int batch = Integer.parseInt(args[2]);
        int classes = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int steps = Integer.parseInt(args[5]);
        String method = args[6];
        StepMemory.Options memory = memory(args[7], List.of(Arrays.copyOfRange(args, 9, args.length)));
        boolean profile = args[8].equals("profile");
        TrainStepBenchmark.Result r;
        TrainStepProfile.Result p = null;
        long trainable;
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(0);
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.published(backbone, classes));
            MethodRegistry.create(method, MethodInputs.prompt(TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH)))
                    .attach(model);
            trainable = model.trainableParameterCount();
            r = TrainStepBenchmark.measure(model, batch, size, classes, warmup, steps, memory);
            if (profile) {
                // The top-level modules, the Swin stages, and every checkpointed module's recomputation.
                p = TrainStepProfile.profile(model, batch, size, classes, memory,
                        n -> !n.contains(".") || n.matches("swin_backbone\\.layers\\.\\d+"));
            }
        }
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("trainable", trainable).put("seconds_per_step", r.seconds())
                .put("images_per_second", r.imagesPerSecond()).put("peak_rss_mb", TrainStepBenchmark.peakRssBytes()
                        / (1024.0 * 1024.0)).put("step_rss_mb", r.stepRssMb());
        if (p != null) {
            o.put("profile", p.markdown());
        }
        System.out.println(RESULT + o);
        System.out.flush();
    }

    /** What a memory setting's name stands for. */
    static StepMemory.Options memory(String name, List<String> checkpoint) {
        switch (name) {
            case "plain":
                return StepMemory.Options.PLAIN;
            case "default":
                return StepMemory.Options.DEFAULT;
            case "checkpoint":
                return StepMemory.Options.DEFAULT.withCheckpoint(checkpoint);
            default:
                throw new IllegalArgumentException("unknown memory setting '" + name + "' (plain, default or "
                        + "checkpoint)");
        }
    }

    /** The command that runs this class with the current JVM's class path and engine settings. */
    static List<String> command(List<String> args) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (!Files.isExecutable(java)) {
            throw new IOException(java + ": not an executable java; bench train starts one process per method with "
                    + "the JVM it runs in");
        }
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path")));
        // The child loads the engine as this process did (threads, cache folder, offline).
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("ai.djl.")).sorted()
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.add(TrainStepProcess.class.getName());
        cmd.addAll(args);
        return cmd;
    }
}
