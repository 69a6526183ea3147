package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.pickle.PthFile;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.train.loop.Checkpoint;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Model weights from a file: a peft4j training checkpoint (which also says how many classes the model had), a
 * plain safetensors state dict, or a PyTorch {@code .pth}/{@code .pt} checkpoint (told apart by its first bytes,
 * whatever its name; a training checkpoint's {@code model} or {@code state_dict} is taken, the rest left unread).
 *
 * @param file where they came from
 * @param tensors the model's tensors by PyTorch name
 * @param classes the class count of the run that wrote the checkpoint, or 0 when the file does not say
 * @param layout how the file's names were mapped onto the model's ({@link #forModel}), or null before that
 */
public record Weights(Path file, Map<String, NDArray> tensors, int classes, KeyLayout.Match layout) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Weights read(Path file, NDManager manager) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": weights file not found");
        }
        if (PthFile.isPyTorchFile(file)) {
            try (PthFile pth = PthFile.open(file)) {
                return new Weights(file, pth.readStateDict(manager), 0, null);
            }
        }
        SafetensorsFile.Contents c = SafetensorsFile.read(file, manager);
        if (Checkpoint.FORMAT.equals(c.metadata().get("format"))) {
            // Without the optimiser's state and a distillation's projections: they load into no bare model.
            Map<String, NDArray> model = Checkpoint.modelTensors(c.tensors());
            int classes = JSON.readTree(c.metadata().getOrDefault("config", "{}")).path("numClasses").asInt(0);
            return new Weights(file, model, classes, null);
        }
        return new Weights(file, c.tensors(), 0, null);
    }

    /** The same weights under {@code model}'s names, by the {@link KeyLayout} that maps the most of them. */
    public Weights forModel(Module model) {
        KeyLayout.Match m = KeyLayout.best(tensors.keySet(), model.stateDict().keySet());
        return new Weights(file, m.layout().apply(tensors), classes, m);
    }

    /**
     * The tensor a model calls {@code modelKey}, under any known layout, or null: for reading a head's class count
     * before the model is built.
     */
    public NDArray find(String modelKey) {
        for (KeyLayout l : KeyLayout.KNOWN) {
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                if (l.map(e.getKey()).equals(modelKey)) {
                    return e.getValue();
                }
            }
        }
        return null;
    }

    /** For messages: the layout used when it was not the plain one, or the closest when none fitted. */
    public String layoutNote() {
        if (layout == null || layout.layout().isAsSaved() && layout.matched() == layout.fileKeys()) {
            return "";
        }
        return layout.matched() == 0 ? "; no known key layout maps any of the file's keys onto the model's"
                : "; key layout " + layout;
    }
}
