package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.OutputClasses;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.infer.bench.InferenceBenchmark;
import ai.peft4j.infer.bench.MatmulPeak;
import ai.peft4j.infer.video.ImageFolderSource;
import ai.peft4j.models.ModelSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j bench infer}: frame rates and latencies of the real-time models on each runtime. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = {"FPS and p50/p99 latency of preprocessing, inference, postprocessing and end to end (the "
                + "stream pipeline, decoding included) at batch 1, for each model on the training engine (float32) "
                + "and ONNX Runtime (float32 and static int8), with MACs, FLOPs (2 per MAC) and the share of the "
                + "machine's measured matmul peak that inference reaches.",
            "Weights are closed-form (speed does not depend on them); int8 is calibrated on the first frames.",
            "The peak (one float32 matmul per core side by side) is measured before and after the models: on a shared "
                + "machine a gap between the two says the machine's speed moved during the run."})
final class BenchInferCommand implements Callable<Integer> {
    @Option(names = "--models", split = ",", defaultValue = "fastsegformer-e,fastsegformer-p,fastsegformer-teacher",
            description = "(default: ${DEFAULT-VALUE})")
    List<String> models;

    @Option(names = "--size", defaultValue = "224", description = "(default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--classes", description = OutputClasses.HELP + " The weights are closed-form here.")
    Integer classes;

    @Option(names = "--frames", description = "Folder of frames (images, read in name order; default: "
            + "../shared/data/neu-seg/JPEGImages when present, else generated citrus images).")
    Path frames;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed calls per stage (default: "
            + "${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--runs", defaultValue = "50", description = "Timed calls per stage, and frames through the "
            + "pipeline after the warm-up ones (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime intra-op threads (default: "
            + "${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--workers", defaultValue = "2", description = "ONNX Runtime calls side by side in the end-to-end "
            + "runs, each on threads/workers threads (default: ${DEFAULT-VALUE}; on 2 cores two one-thread calls "
            + "give more frames per second than one two-thread call).")
    int workers;

    @Option(names = "--no-int8", description = "Skip the int8 rows.")
    boolean noInt8;

    @Option(names = "--repeats", defaultValue = "3", description = "Inference and end-to-end runs per runtime, the "
            + "runtimes taking turns; the fastest is reported, the rate the machine gives when nothing else takes it "
            + "(default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--json", defaultValue = "runs/bench/infer.json", description = "(default: ${DEFAULT-VALUE})")
    Path json;

    @Option(names = "--markdown", defaultValue = "runs/bench/infer.md", description = "(default: ${DEFAULT-VALUE})")
    Path markdown;

    @Override
    public Integer call() throws Exception {
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Path work = InferenceBenchmark.tempFolder();
        Path folder = frameFolder(work);
        List<Path> files = ImageFolderSource.open(folder, 25, warmup + runs).files();
        int cores = Runtime.getRuntime().availableProcessors();
        double before = MatmulPeak.measure(1024, 8, cores);
        console.printf(Locale.ROOT, "Matmul peak (float32, a 1024^3 product per core side by side, ONNX Runtime): "
                + "%.1f GFLOP/s; frames from %s%n", before, folder);
        InferenceBenchmark bench = new InferenceBenchmark(new InferenceBenchmark.Settings(size, files, folder, warmup,
                runs, threads, workers, !noInt8, 16, repeats), console);
        for (String name : models) {
            try (NDManager m = EngineSetup.newManager()) {
                EngineSetup.seed(0);
                Module net = ModelSpec.of(name, null, OutputClasses.resolve(classes, name, null)).build(m);
                ClosedFormWeights.fill(net);
                net.eval();
                console.println("== " + name);
                bench.measure(name, net, work);
            }
        }
        // Measured again at the end: on a shared machine the gap says how far the run's figures can be trusted.
        double after = MatmulPeak.measure(1024, 8, cores);
        write(bench, before, after);
        console.println();
        console.print(Files.readString(markdown));
        return 0;
    }

    /** The given folder, NEU-Seg's images, or citrus images generated into {@code work}. */
    private Path frameFolder(Path work) throws IOException {
        if (frames != null) {
            return frames;
        }
        Path neu = Path.of("../shared/data/neu-seg/JPEGImages");
        if (Files.isDirectory(neu)) {
            return neu;
        }
        Path dir = Files.createDirectories(work.resolve("frames"));
        SyntheticCitrus citrus = new SyntheticCitrus(CitrusDomain.ORANGE, warmup + runs, size, 0);
        for (int i = 0; i < citrus.size(); i++) {
            ImageEncoder.writePng(citrus.read(i).image(), dir.resolve(String.format(Locale.ROOT, "%05d.png", i)));
        }
        return dir;
    }

    private void write(InferenceBenchmark bench, double before, double after) throws IOException {
        double peak = Math.max(before, after);
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("peak_gflops", peak).put("peak_gflops_before", before).put("peak_gflops_after", after);
        root.put("size", size).put("batch", 1).put("cores", Runtime.getRuntime().availableProcessors())
                .put("ort_threads", threads).put("ort_workers", workers);
        ArrayNode costs = root.putArray("models");
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Inference at %dx%d, batch 1, %d cores "
                + "(ONNX Runtime: %d threads; end to end %d calls side by side); matmul peak %.1f GFLOP/s "
                + "(%.1f before the models, %.1f after)%n%n", size, size, Runtime.getRuntime().availableProcessors(),
                threads, workers, peak, before, after));
        md.append("| model | GMACs | GFLOP |\n|---|---:|---:|\n");
        for (InferenceBenchmark.Cost c : bench.costs()) {
            costs.addObject().put("model", c.model()).put("macs", c.macs()).put("gflop", c.gflop());
            md.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", c.model(), c.macs() / 1e9, c.gflop()));
        }
        md.append("\n| model | runtime | precision | stage | FPS | p50 ms | p99 ms | share of peak |\n"
                + "|---|---|---|---|---:|---:|---:|---:|\n");
        ArrayNode rows = root.putArray("rows");
        for (InferenceBenchmark.Row r : bench.rows()) {
            ObjectNode o = rows.addObject().put("model", r.model()).put("runtime", r.runtime())
                    .put("precision", r.precision()).put("stage", r.stage()).put("fps", r.fps())
                    .put("p50_ms", r.p50Ms()).put("p99_ms", r.p99Ms());
            String share = "";
            if (r.stage().equals("inference")) {
                double gflop = bench.costs().stream().filter(c -> c.model().equals(r.model())).findFirst()
                        .orElseThrow().gflop();
                double fraction = gflop / (r.p50Ms() / 1e3) / peak;
                o.put("peak_fraction", fraction);
                share = String.format(Locale.ROOT, "%.1f %%", 100 * fraction);
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.1f | %.2f | %.2f | %s |%n", r.model(),
                    r.runtime(), r.precision(), r.stage(), r.fps(), r.p50Ms(), r.p99Ms(), share));
        }
        AtomicFiles.write(json, o -> o.write(root.toPrettyString().getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(markdown, o -> o.write(md.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
