package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.run.OutputClasses;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Buffer;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.models.ModelSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peft4j summary}: parameters, size and compute of a model, like the published {@code summary.py}. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = {"Print total and trainable parameters, size in MB and compute at the input size.",
            "Compute is counted as thop counts it (convolutions, linear layers, normalisation; the published "
                + "'GFLOPs' are these MACs), then with attention matrix products, and as FLOPs (2 per MAC)."})
final class SummaryCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "swin-att-unet",
            description = "Architecture: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = Models.class)
    String model;

    @Option(names = "--backbone", description = "Backbone preset: swin-t, swin-s, swin-fixture for the Swin models "
            + "(default swin-t); FastSegFormer-P and -E have one each (poolformer-s12, efficientformerv2-s0).")
    String backbone;

    @Option(names = "--classes", description = OutputClasses.HELP)
    Integer classes;

    @Option(names = "--input-size", defaultValue = "224", description = "Side of the square input for the "
            + "compute count (default: ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--weights", description = "A state dict to load first (safetensors, or a PyTorch .pth/.pt "
            + "checkpoint); the load is reported.")
    Path weights;

    @Option(names = "--no-flops", description = "Skip the compute count (it runs one forward pass).")
    boolean noFlops;

    @Option(names = "--modules", description = "List parameters per top-level module.")
    boolean perModule;

    @Option(names = "--json", description = "Also write the figures to this JSON file.")
    Path json;

    @picocli.CommandLine.ArgGroup(exclusive = false, heading = "Fine-tuning method:%n")
    MethodOptions method = new MethodOptions();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Completion candidates for --model. */
    static final class Models implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ModelSpec.MODELS.iterator();
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = EngineSetup.newManager()) {
            if (weights != null && !Files.isRegularFile(weights)) {
                throw new IllegalArgumentException("weights file " + weights + " does not exist");
            }
            Weights read = weights == null ? null : Weights.read(weights, manager);
            ModelSpec specOfModel = ModelSpec.of(model, backbone, OutputClasses.resolve(classes, model, read));
            Module net = specOfModel.build(manager);
            net.eval();
            if (read != null) {
                Weights w = read.forModel(net);
                LoadReport report = net.loadStateDict(w.tensors(), false);
                out.println("Weights        " + weights + ": " + (report.describe() + w.layoutNote())
                        .replace("\n", "\n               "));
            }
            String methodLine = null;
            if (method != null && method.chosen()) {
                ai.peft4j.peft.PeftMethod m = method.build(manager, true);
                m.attach(net);
                methodLine = m.name() + " " + m.settings();
            }
            long total = net.parameterCount();
            long trainable = net.trainableParameterCount();
            long paramBytes = 0;
            for (Parameter p : net.namedParameters().values()) {
                paramBytes += p.size() * p.data().getDataType().getNumOfBytes();
            }
            long bufferBytes = 0;
            for (Buffer b : net.namedBuffers().values()) {
                bufferBytes += b.data().size() * b.data().getDataType().getNumOfBytes();
            }
            out.println("Model          " + specOfModel.describe());
            if (methodLine != null) {
                out.println("Method         " + methodLine);
            }
            out.printf(Locale.ROOT, "Parameters     %,d total, %,d trainable (%.2f %%)%n", total, trainable,
                    100.0 * trainable / total);
            out.printf(Locale.ROOT, "Size           %.3f MB parameters, %.3f MB with buffers%n", mb(paramBytes),
                    mb(paramBytes + bufferBytes));
            ObjectNode j = new ObjectMapper().createObjectNode();
            j.put("model", specOfModel.model()).put("backbone", specOfModel.backbone())
                    .put("classes", specOfModel.numClasses()).put("total_parameters", total)
                    .put("trainable_parameters", trainable)
                    .put("size_mb", mb(paramBytes + bufferBytes));
            if (methodLine != null) {
                j.put("method", method.method);
            }
            if (!noFlops) {
                Map<MacCounter.Kind, Long> macs;
                try (NDManager scope = manager.newSubManager()) {
                    var input = scope.zeros(new Shape(1, 3, inputSize, inputSize));
                    macs = MacCounter.count(() -> ((Layer) net).forward(input));
                }
                long thop = macs.get(MacCounter.Kind.CONV) + macs.get(MacCounter.Kind.LINEAR)
                        + macs.get(MacCounter.Kind.NORM);
                long all = thop + macs.get(MacCounter.Kind.ATTENTION_MATMUL);
                out.printf(Locale.ROOT, "Compute @%d    %.3f GMACs (thop convention) | %.3f GMACs with attention "
                        + "matmuls = %.3f GFLOPs%n", inputSize, thop / 1e9, all / 1e9, 2 * all / 1e9);
                j.put("input_size", inputSize).put("gmacs_thop", thop / 1e9).put("gmacs", all / 1e9)
                        .put("gflops", 2 * all / 1e9);
            }
            if (perModule) {
                out.println();
                out.printf(Locale.ROOT, "%-20s %14s %14s%n", "module", "parameters", "trainable");
                for (Map.Entry<String, Module> e : net.children().entrySet()) {
                    long n = e.getValue().parameterCount();
                    if (n > 0) {
                        out.printf(Locale.ROOT, "%-20s %,14d %,14d%n", e.getKey(), n,
                                e.getValue().trainableParameterCount());
                    }
                }
            }
            if (json != null) {
                try {
                    // Written in place, not atomically: --json may name a pipe such as /dev/stdout.
                    Files.writeString(json, j.toPrettyString() + "\n", StandardCharsets.UTF_8);
                } catch (FileSystemException e) {
                    throw e;
                } catch (IOException e) {
                    // A full disk is reported without the file's name.
                    throw new FileSystemException(json.toString(), null, e.getMessage());
                }
            }
        }
        return 0;
    }

    private static double mb(long bytes) {
        return bytes / 1024.0 / 1024.0;
    }
}
