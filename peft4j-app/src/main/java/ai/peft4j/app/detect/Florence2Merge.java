package ai.peft4j.app.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.models.florence2.Florence2Checkpoint;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.full.AllWeights;
import ai.peft4j.peft.lora.Lora;
import ai.peft4j.peft.lora.LoraAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Merge-and-save, as HF PEFT's {@code merge_and_unload} followed by {@code save_pretrained}: a Florence-2 checkpoint
 * folder with an adapter on it written out as a new full checkpoint folder, every LoRA update added into the weight
 * it adapts and the LoRA tensors left out. Because Florence-2's {@code lm_head} is the token table, a LoRA on
 * {@code lm_head} changes the encoder's and decoder's input embeddings too, exactly as PEFT's merge does; the table
 * is stored once, under {@code language_model.model.shared.weight}, as transformers stores it. The folder's other
 * files (tokenizer, processor and generation settings, remote code) are copied as they are, {@code config.json}
 * last, so a folder with a {@code config.json} is complete. Weights stay float32.
 */
public final class Florence2Merge {
    private static final String WEIGHTS = "model.safetensors";
    private static final String CONFIG = "config.json";

    private Florence2Merge() {}

    /**
     * What was written.
     *
     * @param method the adapter's method name
     * @param mergedLayers the LoRA layers added into their weights (0 for all-weights, whose weights are used whole)
     * @param tensors the tensors in the written {@code model.safetensors}
     * @param copied the names of the files copied from the base folder, {@code config.json} included
     */
    public record Result(String method, int mergedLayers, int tensors, List<String> copied) {}

    /**
     * Loads {@code base} with {@code adapter} on it (refused when trained on another base unless {@code forceBase})
     * and writes the merged checkpoint folder {@code out}. Refuses an {@code out} that already holds a model, and
     * adapters other than hf-lora (LoRA, DoRA, rsLoRA) and all-weights, whose effect is no change of weights.
     */
    public static Result write(Path base, Path adapter, Path out, boolean forceBase) throws IOException {
        if (Files.exists(out.resolve(WEIGHTS)) || Files.exists(out.resolve(CONFIG))) {
            throw new IllegalArgumentException(out + ": already holds a checkpoint (" + CONFIG + " or " + WEIGHTS
                    + "); choose a new --out folder");
        }
        List<Path> baseFiles = baseFiles(base);
        List<Path> inputs = new ArrayList<>(baseFiles);
        inputs.add(base.resolve(WEIGHTS));
        inputs.add(adapter.resolve(AdapterFiles.CONFIG));
        inputs.add(adapter.resolve(AdapterFiles.WEIGHTS));
        InputFiles read = InputFiles.of(inputs);
        read.refuseOverwrite(out.resolve(WEIGHTS), "choose an --out folder away from the base and the adapter");
        for (Path f : baseFiles) {
            read.refuseOverwrite(out.resolve(f.getFileName()), "choose an --out folder away from the base");
        }
        try (NDManager m = EngineSetup.newManager()) {
            DetectionModel model = DetectionModel.load(base, m);
            List<String> baseNames = new ArrayList<>(model.stateDict().keySet());
            Attachment a = AdapterFiles.load(adapter, model, m, AdapterFiles.LoadOptions.forced(forceBase));
            Optional<LoraAdapter> lora = Lora.adapterOf(a);
            int merged = 0;
            if (lora.isPresent()) {
                lora.get().merge();
                merged = lora.get().layers().size();
            } else if (!AllWeights.NAME.equals(a.method().name())) {
                throw new IllegalArgumentException(adapter + ": a " + a.method().name() + " adapter; merge writes "
                        + Lora.NAME + " (LoRA, DoRA, rsLoRA) and " + AllWeights.NAME + " adapters into the weights");
            }
            Map<String, NDArray> state = model.stateDict();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String name : baseNames) {
                NDArray t = state.get(name);
                if (t == null) {
                    throw new IllegalStateException("the merged model has no tensor " + name);
                }
                tensors.put(name, t);
            }
            Florence2Checkpoint.TIED.subList(1, Florence2Checkpoint.TIED.size()).forEach(tensors::remove);
            Files.createDirectories(out);
            List<String> copied = new ArrayList<>();
            for (Path f : baseFiles) {
                if (!f.getFileName().toString().equals(CONFIG)) {
                    copy(f, out);
                    copied.add(f.getFileName().toString());
                }
            }
            SafetensorsFile.write(out.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            copy(base.resolve(CONFIG), out);
            copied.add(CONFIG);
            return new Result(a.method().name(), merged, tensors.size(), copied);
        }
    }

    /**
     * The base folder's files to copy: every regular file but the weights ({@code *.safetensors}, {@code *.bin},
     * {@code *.pt}, {@code *.pth} and their index) and a write's leftover temporaries, in name order.
     */
    private static List<Path> baseFiles(Path base) throws IOException {
        if (!Files.isRegularFile(base.resolve(CONFIG))) {
            throw new IOException(base + ": not a Florence-2 checkpoint folder (no " + CONFIG + ")");
        }
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(Files::isRegularFile).filter(f -> !AtomicFiles.isTemporary(f)).filter(f -> {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                return !(n.endsWith(".safetensors") || n.endsWith(".bin") || n.endsWith(".pt")
                        || n.endsWith(".pth") || n.endsWith(".index.json"));
            }).sorted().toList();
        }
    }

    private static void copy(Path file, Path dir) throws IOException {
        AtomicFiles.write(dir.resolve(file.getFileName().toString()), o -> Files.copy(file, o));
    }
}
