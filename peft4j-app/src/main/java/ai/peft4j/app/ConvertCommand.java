package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.KeyLayout;
import ai.peft4j.app.run.OutputClasses;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.pickle.PthFile;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.models.ModelSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code peft4j convert}: a PyTorch checkpoint's state dict as a safetensors file. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Write the state dict of a PyTorch .pth/.pt checkpoint (or of any weights file peft4j reads) "
            + "as safetensors.",
            "The file is read without running Python and without building anything but tensors: a pickle that "
                + "names any other Python global is refused. A training checkpoint's 'model' or 'state_dict' is "
                + "taken; epoch, optimiser and the rest are not converted. Views and shared storages become "
                + "contiguous tensors; bfloat16 becomes float32 and int16 int32 (exactly).",
            "Without --model the names stay as saved; with it they are mapped onto the model's (the 'module.' "
                + "prefix of DataParallel removed, or an ImageNet backbone checkpoint put under swin_backbone. / "
                + "common_backbone.), by the layout that matches the most keys."})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "The checkpoint to read (.pth, .pt, .bin, "
            + ".safetensors; told apart by its first bytes).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The .safetensors file to write (atomically).")
    Path out;

    @Option(names = "--model", description = "Map the names onto this architecture: ${COMPLETION-CANDIDATES}.",
            completionCandidates = SummaryCommand.Models.class)
    String model;

    @Option(names = "--backbone", description = "Backbone preset of --model (as in summary).")
    String backbone;

    @Option(names = "--classes", description = OutputClasses.HELP + " Names do not depend on it.")
    Integer classes;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(in)) {
            throw new IllegalArgumentException(in + ": checkpoint not found");
        }
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw new IllegalArgumentException(out + ": the output must be a .safetensors file");
        }
        InputFiles.of(List.of(in)).refuseOverwrite(out, "give OUT a new file name");
        PrintWriter console = spec.commandLine().getOut();
        try (NDManager manager = EngineSetup.newManager()) {
            String location = "";
            if (PthFile.isPyTorchFile(in)) {
                try (PthFile pth = PthFile.open(in)) {
                    location = pth.stateDict().location();
                }
            }
            Weights w = Weights.read(in, manager);
            Map<String, NDArray> tensors = w.tensors();
            String mapping = "names as saved";
            if (model != null) {
                Module net = ModelSpec.of(model, backbone, OutputClasses.resolve(classes, model, w)).build(manager);
                Set<String> modelKeys = net.stateDict().keySet();
                KeyLayout.Match m = KeyLayout.best(tensors.keySet(), modelKeys);
                if (m.matched() == 0) {
                    throw new IllegalArgumentException(in + ": no known key layout maps any of its "
                            + tensors.size() + " keys onto " + model + "'s " + modelKeys.size() + " (first key: "
                            + tensors.keySet().stream().findFirst().orElse("none") + "); convert without --model "
                            + "to keep the names as saved");
                }
                tensors = m.layout().apply(tensors);
                mapping = "names mapped onto " + model + ", layout " + m;
            }
            SafetensorsFile.write(out, tensors, Map.of("format", "pt"));
            console.printf(Locale.ROOT, "Wrote     %s: %d tensors from %s%s (%s)%n", out, tensors.size(), in,
                    location.isEmpty() ? "" : "['" + location + "']", mapping);
        }
        return 0;
    }
}
