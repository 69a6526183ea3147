package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.run.PromptableObjective;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.models.ModelSpec;
import ai.peft4j.models.sam.PromptableSegmenter;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.sam.SamAdaLora;
import ai.peft4j.peft.sam.SamAdaLoraAdapter;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.train.bench.TrainStepBenchmark;
import ai.peft4j.train.bench.TrainStepProfile;
import ai.peft4j.train.loop.StepHook;
import ai.peft4j.train.promptable.PromptMode;
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
 * <p>Arguments: model ({@code swin-att-unet} or a promptable one of {@link ModelSpec#PROMPTABLE}), backbone, size,
 * batch, classes, warm-up steps, timed steps, method, memory setting ({@code plain}, {@code default},
 * {@code checkpoint} or {@code micro:N}), {@code profile} or {@code time} (a memory profile of one step after the
 * timed steps, or none; the Swin-Att-UNet only), then the checkpoint patterns.
 */
final class TrainStepProcess {
    static final String RESULT = "peft4j-train-step ";

    private TrainStepProcess() {}

    public static void main(String[] args) throws Exception {
        String modelName = args[0];
        String backbone = args[1];
        int size = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        int classes = Integer.parseInt(args[4]);
        int warmup = Integer.parseInt(args[5]);
        int steps = Integer.parseInt(args[6]);
        String method = args[7];
        StepMemory.Options memory = memory(args[8], List.of(Arrays.copyOfRange(args, 10, args.length)));
        boolean profile = args[9].equals("profile");
        TrainStepBenchmark.Result r;
        TrainStepProfile.Result p = null;
        long trainable;
        long total;
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(0);
            if (ModelSpec.PROMPTABLE.contains(modelName)) {
                PromptableSegmenter net = ModelSpec.of(modelName, null, 2).buildPromptable(m, size);
                Module model = (Module) net;
                SamAdaLoraAdapter adaLora = null;
                if (!method.equals("full")) {
                    PeftMethod pm = MethodRegistry.create(method, MethodInputs.none());
                    if (pm instanceof SamAdaLora sal) {
                        adaLora = sal.apply(model);
                    } else {
                        pm.attach(model);
                    }
                }
                trainable = model.trainableParameterCount();
                total = model.parameterCount();
                r = TrainStepBenchmark.measure(model, batch, warmup, steps, memory, promptableStep(net, batch, size),
                        adaLora == null ? null : adaLoraHook(adaLora));
            } else {
                SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.published(backbone, classes));
                MethodRegistry.create(method, MethodInputs.prompt(TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH)))
                        .attach(model);
                trainable = model.trainableParameterCount();
                total = model.parameterCount();
                r = TrainStepBenchmark.measure(model, batch, size, classes, warmup, steps, memory,
                        microBatch(args[8]));
                if (profile) {
                    // The top-level modules, the Swin stages, and every checkpointed module's recomputation.
                    p = TrainStepProfile.profile(model, batch, size, classes, memory,
                            n -> !n.contains(".") || n.matches("swin_backbone\\.layers\\.\\d+"));
                }
            }
        }
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("trainable", trainable).put("parameters", total).put("seconds_per_step", r.seconds())
                .put("images_per_second", r.imagesPerSecond()).put("peak_rss_mb", TrainStepBenchmark.peakRssBytes()
                        / (1024.0 * 1024.0)).put("step_rss_mb", r.stepRssMb());
        if (p != null) {
            o.put("profile", p.markdown());
        }
        System.out.println(RESULT + o);
        System.out.flush();
    }

    /**
     * A promptable training step as {@code finetune} runs it: random images, a defect rectangle per image, one
     * click in it (the published training prompt), the published {@code BCEWithLogitsLoss(pos_weight=2)}.
     */
    private static TrainStepBenchmark.StepLoss promptableStep(PromptableSegmenter net, int batch, int size) {
        PromptableObjective objective = new PromptableObjective(net, PromptMode.POINT, 2.0, false, 0);
        float[] mask = new float[batch * size * size];
        for (int b = 0; b < batch; b++) {
            for (int y = size / 4; y < size / 2; y++) {
                for (int x = size / 4 + b % 4; x < 3 * size / 4; x++) {
                    mask[(b * size + y) * size + x] = 1;
                }
            }
        }
        return step -> objective.loss(step.randomUniform(0f, 1f, new Shape(batch, 3, size, size)),
                step.create(mask, new Shape(batch, size, size)));
    }

    /** sam-adalora's additions to a step, as in finetune: the regulariser and the allocator (not logged here). */
    private static StepHook adaLoraHook(SamAdaLoraAdapter adapter) {
        return new StepHook() {
            @Override
            public NDArray penalty(NDManager manager) {
                return adapter.orthogonalPenalty(manager);
            }

            @Override
            public void afterStep(long step, int epoch) {
                adapter.updateAndMask((int) step);
            }
        };
    }

    /** The images per micro-batch a memory setting names ({@code micro:N}), or 0 for the whole batch at once. */
    static int microBatch(String name) {
        if (!name.startsWith("micro:")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(name.substring("micro:".length()));
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("a micro-batch must be a number of images, got '" + name + "'");
    }

    /** What a memory setting's name stands for. */
    static StepMemory.Options memory(String name, List<String> checkpoint) {
        if (microBatch(name) > 0) {
            return StepMemory.Options.DEFAULT.withCheckpoint(checkpoint);
        }
        switch (name) {
            case "plain":
                return StepMemory.Options.PLAIN;
            case "default":
                return StepMemory.Options.DEFAULT;
            case "checkpoint":
                return StepMemory.Options.DEFAULT.withCheckpoint(checkpoint);
            default:
                throw new IllegalArgumentException("unknown memory setting '" + name + "' (plain, default, "
                        + "checkpoint or micro)");
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
