package ai.peft4j.app;

import ai.peft4j.app.run.OutputClasses;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.models.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peft4j bench}: benchmarks that report ratios measured in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (results as JSON and Markdown).",
        subcommands = {BenchCommand.Train.class, BenchTransferCommand.class, BenchForgettingCommand.class,
            BenchInferCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code peft4j bench train}: a training step per method on one base model, each in its own process. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Images per second and peak memory of a training step (forward, loss, backward, Adam) "
                    + "for each fine-tuning method on a full-size model, each method in a process of its own, with "
                    + "full fine-tuning as the baseline in the same run. Random images.",
                "Swin-Att-UNet: cross-entropy over random labels; TP-LoRA uses a 48-token prompt. SAM family "
                    + "(--model sam-vit-b, mobile-sam, efficient-sam-vit-t, ...): the published promptable step, one "
                    + "click per image in a defect rectangle, BCE with pos_weight 2; full trains every weight, "
                    + "sam-adalora adds its regulariser and rank allocator as finetune does."})
    static final class Train implements Callable<Integer> {
        @Option(names = "--model", defaultValue = "swin-att-unet", description = "swin-att-unet or a model of the "
                + "SAM family: " + "sam-vit-b, sam-vit-l, sam-vit-h, mobile-sam, efficient-sam-vit-t, "
                + "efficient-sam-vit-s, or their -fixture sizes (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--backbone", defaultValue = "swin-t", description = "Swin-Att-UNet: swin-t or swin-s "
                + "(default: ${DEFAULT-VALUE}).")
        String backbone;

        @Option(names = "--size", description = "Input side (default: 224 for the Swin-Att-UNet, 256 for the SAM "
                + "family, the published training size).")
        Integer size;

        @Option(names = "--batch", split = ",", defaultValue = "2,8", description = "Batch sizes (default: "
                + "${DEFAULT-VALUE}).")
        List<Integer> batches;

        @Option(names = "--classes", description = OutputClasses.HELP + " The weights are random here.")
        Integer classes;

        @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps per method (default: "
                + "${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--steps", defaultValue = "3", description = "Timed steps per method (default: "
                + "${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--methods", split = ",", description = "Methods; full is the baseline (default: full,"
                + "classify,bitfit,adapter,adaptformer,lora,convpass,tplora for the Swin-Att-UNet; full,sam-adapter,"
                + "sam-lora,sam-adalora for the SAM family).")
        List<String> methods;

        @Option(names = "--memory", split = ",", defaultValue = "default", description = "Memory settings to "
                + "compare: plain (every array lives until the step ends, as DJL does), default (intermediates "
                + "freed as modules return, frozen prefixes without a graph), checkpoint (default, and the "
                + "--checkpoint modules recomputed during backward), micro (checkpoint, and each batch run in parts "
                + "of --micro-batch images whose gradients add up; the Swin-Att-UNet only) (default: "
                + "${DEFAULT-VALUE}).")
        List<String> memory;

        @Option(names = "--micro-batch", defaultValue = "2", description = "Images per part under the micro "
                + "setting; each batch must be a multiple (default: ${DEFAULT-VALUE}).")
        int microBatch;

        @Option(names = "--checkpoint", split = ",", defaultValue = "*.blocks.*,level*,cnn*", description = "Module "
                + "and unit name patterns the checkpoint setting recomputes: every Swin or ViT block, every U-Net "
                + "decoder level as one unit, the Swin-Att-UNet's full-resolution stem (default: ${DEFAULT-VALUE}).")
        List<String> checkpoint;

        @Option(names = "--json", defaultValue = "runs/bench/train.json", description = "(default: ${DEFAULT-VALUE})")
        Path json;

        @Option(names = "--profile", description = "Also write a memory profile of one more step per row to this "
                + "Markdown file: resident size, glibc malloc counters and the arrays Java holds after each "
                + "top-level module, the backward pass and each recomputation, Adam's update; and the weights', "
                + "gradients', Adam state's, batch's and JVM's shares.")
        Path profile;

        @Option(names = "--markdown", defaultValue = "runs/bench/train.md", description = "(default: "
                + "${DEFAULT-VALUE})")
        Path markdown;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        /** One process's result. */
        private record Row(String method, int batch, String memory, JsonNode result) {
            double seconds() {
                return result.get("seconds_per_step").asDouble();
            }

            double peak() {
                return result.get("peak_rss_mb").asDouble();
            }
        }

        @Override
        public Integer call() throws Exception {
            boolean promptable = ModelSpec.PROMPTABLE.contains(model);
            if (!promptable && !model.equals("swin-att-unet")) {
                throw new IllegalArgumentException("--model must be swin-att-unet or one of the SAM family ("
                        + String.join(", ", ModelSpec.PROMPTABLE) + "), got '" + model + "'");
            }
            if (promptable && profile != null) {
                throw new IllegalArgumentException("--profile measures the Swin-Att-UNet's modules; leave it out "
                        + "for " + model);
            }
            if (size == null) {
                size = promptable ? 256 : 224;
            }
            if (promptable && (size < 16 || size % 16 != 0)) {
                throw new IllegalArgumentException("--size for " + model + " must be a positive multiple of 16, got "
                        + size);
            }
            if (methods == null) {
                methods = promptable ? List.of("full", "sam-adapter", "sam-lora", "sam-adalora")
                        : List.of("full", "classify", "bitfit", "adapter", "adaptformer", "lora", "convpass", "tplora");
            }
            for (String m : memory) {
                TrainStepProcess.memory(childSetting(m), checkpoint);
            }
            for (int b : batches) {
                if (b < 1) {
                    throw new IllegalArgumentException("--batch must be at least 1, got " + b);
                }
                if (memory.contains("micro") && b % microBatch != 0) {
                    throw new IllegalArgumentException("--memory micro: batch " + b + " is not a multiple of "
                            + "--micro-batch " + microBatch);
                }
            }
            if (memory.contains("micro") && (promptable || profile != null)) {
                throw new IllegalArgumentException("--memory micro measures the Swin-Att-UNet's step without "
                        + "--profile; leave it out " + (promptable ? "for " + model : "of a profiled run"));
            }
            PrintWriter out = spec.commandLine().getOut();
            List<Row> rows = new ArrayList<>();
            for (int batch : batches) {
                for (String setting : memory) {
                    for (String name : methods) {
                        out.printf(Locale.ROOT, "%-12s batch %d, %s ... ", name, batch, setting);
                        out.flush();
                        JsonNode r = runChild(name, batch, setting);
                        out.printf(Locale.ROOT, "%.2f s/step, %.2f images/s, peak %.0f MB%n",
                                r.get("seconds_per_step").asDouble(), r.get("images_per_second").asDouble(),
                                r.get("peak_rss_mb").asDouble());
                        if (profile != null) {
                            out.print(r.get("profile").asText());
                        }
                        rows.add(new Row(name, batch, setting, r));
                    }
                }
            }
            String what = promptable ? String.format(Locale.ROOT, "%s, %dx%d, one click per image, BCE "
                    + "(pos_weight 2)", model, size, size) : String.format(Locale.ROOT, "Swin-Att-UNet (%s), %dx%d, "
                    + "%d classes", backbone, size, size, classes());
            StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Training step, %s, mean of %d steps "
                    + "after %d warm-up, one process per row, %d cores%n%n", what, steps, warmup,
                    Runtime.getRuntime().availableProcessors()));
            // glibc's malloc tunables change the resident size a lot (freed blocks kept or returned); children
            // inherit them, so the table says which were set.
            String malloc = System.getenv().entrySet().stream().filter(e -> e.getKey().startsWith("MALLOC_")
                    || e.getKey().equals("GLIBC_TUNABLES")).map(e -> e.getKey() + "=" + e.getValue()).sorted()
                    .collect(java.util.stream.Collectors.joining(", "));
            md.append("malloc settings from the environment: ").append(malloc.isEmpty() ? "none (glibc's defaults)"
                    : malloc).append("\n\n");
            md.append("| method | batch | memory | trainable | images/s | s/step | step time / full | "
                    + "peak RSS (MB) | peak RSS / full | peak RSS / full, default memory |\n"
                    + "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
            ObjectNode root = new ObjectMapper().createObjectNode();
            root.put("model", model);
            if (!promptable) {
                root.put("backbone", backbone);
            }
            root.put("size", size).put("steps", steps).put("warmup", warmup).put("malloc", malloc)
                    .put("micro_batch", memory.contains("micro") ? microBatch : 0);
            root.putPOJO("checkpoint", checkpoint);
            ArrayNode jsonRows = root.putArray("rows");
            for (Row r : rows) {
                Row base = rows.stream().filter(b -> b.method().equals("full") && b.batch() == r.batch()
                        && b.memory().equals(r.memory())).findFirst().orElse(null);
                // What a method costs against full fine-tuning run the plain way (the memory saving a user sees).
                Row plainBase = rows.stream().filter(b -> b.method().equals("full") && b.batch() == r.batch()
                        && b.memory().equals("default")).findFirst().orElse(null);
                double time = base == null ? Double.NaN : r.seconds() / base.seconds();
                double mem = base == null ? Double.NaN : r.peak() / base.peak();
                double memDefault = plainBase == null ? Double.NaN : r.peak() / plainBase.peak();
                md.append(String.format(Locale.ROOT, "| %s | %d | %s | %,d | %.2f | %.2f | %s | %.0f | %s | %s |%n",
                        r.method(), r.batch(), r.memory().equals("micro") ? "micro (" + microBatch + ")" : r.memory(),
                        r.result().get("trainable").asLong(),
                        r.result().get("images_per_second").asDouble(), r.seconds(), ratio(time), r.peak(),
                        ratio(mem), ratio(memDefault)));
                ObjectNode o = jsonRows.addObject().put("method", r.method()).put("batch", r.batch())
                        .put("memory", r.memory());
                o.setAll((ObjectNode) r.result());
                putRatio(o, "time_ratio_to_full", time);
                putRatio(o, "peak_rss_ratio_to_full", mem);
                putRatio(o, "peak_rss_ratio_to_full_default", memDefault);
            }
            AtomicFiles.write(json, o -> o.write(root.toPrettyString().getBytes(StandardCharsets.UTF_8)));
            AtomicFiles.write(markdown, o -> o.write(md.toString().getBytes(StandardCharsets.UTF_8)));
            if (profile != null) {
                StringBuilder pr = new StringBuilder();
                for (Row r : rows) {
                    pr.append(String.format(Locale.ROOT, "## %s, batch %d, %s%n%n", r.method(), r.batch(),
                            r.memory())).append(r.result().get("profile").asText()).append('\n');
                }
                AtomicFiles.write(profile, o -> o.write(pr.toString().getBytes(StandardCharsets.UTF_8)));
            }
            out.println();
            out.print(md);
            out.flush();
            return 0;
        }

        /** A memory setting as the child process reads it: micro names its part size. */
        private String childSetting(String setting) {
            if (setting.equals("micro")) {
                if (microBatch < 1) {
                    throw new IllegalArgumentException("--micro-batch must be at least 1, got " + microBatch);
                }
                return "micro:" + microBatch;
            }
            return setting;
        }

        /** The Swin-Att-UNet's output classes: --classes, else the default of a model without weights. */
        private int classes() {
            return OutputClasses.resolve(classes, "swin-att-unet", null);
        }

        /** Runs one method's steps in a child JVM and returns the JSON line it printed. */
        private JsonNode runChild(String method, int batch, String setting) throws IOException, InterruptedException {
            List<String> args = new ArrayList<>(List.of(model, backbone, Integer.toString(size),
                    Integer.toString(batch), Integer.toString(classes()), Integer.toString(warmup),
                    Integer.toString(steps), method, childSetting(setting), profile == null ? "time" : "profile"));
            args.addAll(checkpoint);
            Process p = new ProcessBuilder(TrainStepProcess.command(args)).redirectErrorStream(true).start();
            // A benchmark stopped with Ctrl-C must not leave a training step running on its own.
            Thread stop = new Thread(p::destroyForcibly, "stop-train-step");
            Runtime.getRuntime().addShutdownHook(stop);
            List<String> lines = new ArrayList<>();
            int code;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
                code = p.waitFor();
            } finally {
                p.destroyForcibly();
                Runtime.getRuntime().removeShutdownHook(stop);
            }
            for (String line : lines) {
                if (line.startsWith(TrainStepProcess.RESULT) && code == 0) {
                    return new ObjectMapper().readTree(line.substring(TrainStepProcess.RESULT.length()));
                }
            }
            List<String> tail = lines.subList(Math.max(0, lines.size() - 5), lines.size());
            throw new IllegalStateException("the training step process for " + method + " (batch " + batch + ", "
                    + setting + ") exited with " + code + ": " + String.join(" | ", tail));
        }

        /** A ratio for the Markdown table: two decimals, or a dash where the run has no full-fine-tuning row. */
        private static String ratio(double r) {
            return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
        }

        private static void putRatio(ObjectNode o, String key, double r) {
            if (Double.isNaN(r)) {
                o.putNull(key);
            } else {
                o.put(key, r);
            }
        }
    }
}
