package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.train.bench.TrainStepBenchmark;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peft4j bench}: benchmarks that report ratios measured in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (results as JSON and Markdown).",
        subcommands = {BenchCommand.Train.class, BenchTransferCommand.class, BenchInferCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code peft4j bench train}: a training step per method on one base model. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Images per second and peak memory of a training step (forward, cross-entropy, backward, "
                    + "Adam) for each fine-tuning method on the full-size Swin-Att-UNet, with full fine-tuning as "
                    + "the baseline in the same run. Random images; TP-LoRA uses a 48-token prompt."})
    static final class Train implements Callable<Integer> {
        @Option(names = "--backbone", defaultValue = "swin-t", description = "swin-t or swin-s (default: "
                + "${DEFAULT-VALUE}).")
        String backbone;

        @Option(names = "--size", defaultValue = "224", description = "(default: ${DEFAULT-VALUE})")
        int size;

        @Option(names = "--batch", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--classes", defaultValue = "6", description = "(default: ${DEFAULT-VALUE})")
        int classes;

        @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps per method (default: "
                + "${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--steps", defaultValue = "3", description = "Timed steps per method (default: "
                + "${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--methods", split = ",", defaultValue = "full,classify,bitfit,adapter,adaptformer,lora,"
                + "convpass,tplora", description = "Methods; full is the baseline (default: ${DEFAULT-VALUE}).")
        List<String> methods;

        @Option(names = "--json", defaultValue = "runs/bench/train.json", description = "(default: ${DEFAULT-VALUE})")
        Path json;

        @Option(names = "--markdown", defaultValue = "runs/bench/train.md", description = "(default: "
                + "${DEFAULT-VALUE})")
        Path markdown;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Map<String, TrainStepBenchmark.Result> results = new LinkedHashMap<>();
            Map<String, Long> trainable = new LinkedHashMap<>();
            try (NDManager m = EngineSetup.newManager()) {
                EngineSetup.seed(0);
                SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.published(backbone, classes));
                for (String name : methods) {
                    Attachment a = MethodRegistry.create(name,
                            MethodInputs.prompt(TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH)))
                            .attach(model);
                    trainable.put(name, model.trainableParameterCount());
                    out.printf(Locale.ROOT, "%-12s %,d trainable ... ", name, model.trainableParameterCount());
                    out.flush();
                    TrainStepBenchmark.Result r = TrainStepBenchmark.measure(model, batch, size, classes, warmup,
                            steps);
                    out.printf(Locale.ROOT, "%.2f s/step, %.2f images/s%n", r.seconds(), r.imagesPerSecond());
                    results.put(name, r);
                    a.deactivate();
                }
            }
            TrainStepBenchmark.Result base = results.get("full");
            StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Training step, Swin-Att-UNet (%s), "
                    + "%dx%d, batch %d, %d classes, mean of %d steps after %d warm-up, %d cores%n%n", backbone, size,
                    size, batch, classes, steps, warmup, Runtime.getRuntime().availableProcessors()));
            md.append("| method | trainable | images/s | s/step | step time / full | peak RSS (MB) | "
                    + "RSS added by training (MB) |\n|---|---:|---:|---:|---:|---:|---:|\n");
            ObjectNode root = new ObjectMapper().createObjectNode();
            root.put("backbone", backbone).put("size", size).put("batch", batch).put("steps", steps);
            ArrayNode rows = root.putArray("rows");
            for (Map.Entry<String, TrainStepBenchmark.Result> e : results.entrySet()) {
                TrainStepBenchmark.Result r = e.getValue();
                double ratio = base == null ? Double.NaN : r.seconds() / base.seconds();
                md.append(String.format(Locale.ROOT, "| %s | %,d | %.2f | %.2f | %.2f | %.0f | %.0f |%n", e.getKey(),
                        trainable.get(e.getKey()), r.imagesPerSecond(), r.seconds(), ratio, r.peakRssMb(),
                        r.stepRssMb()));
                rows.addObject().put("method", e.getKey()).put("trainable", trainable.get(e.getKey()))
                        .put("images_per_second", r.imagesPerSecond()).put("seconds_per_step", r.seconds())
                        .put("ratio_to_full", ratio).put("peak_rss_mb", r.peakRssMb())
                        .put("step_rss_mb", r.stepRssMb());
            }
            if (results.containsKey("tplora") && results.containsKey("lora")) {
                double q = results.get("tplora").seconds() / results.get("lora").seconds();
                md.append(String.format(Locale.ROOT, "%nTP-LoRA step / LoRA step: %.2f%n", q));
                root.put("tplora_over_lora", q);
            }
            AtomicFiles.write(json, o -> o.write(root.toPrettyString().getBytes(StandardCharsets.UTF_8)));
            AtomicFiles.write(markdown, o -> o.write(md.toString().getBytes(StandardCharsets.UTF_8)));
            out.println();
            out.print(md);
            out.flush();
            return 0;
        }
    }
}
