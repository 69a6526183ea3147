package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.train.loop.Checkpoint;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Model weights from a file: a peft4j training checkpoint (which also says how many classes the model had) or a
 * plain safetensors state dict.
 *
 * @param file where they came from
 * @param tensors the model's tensors by PyTorch name
 * @param classes the class count of the run that wrote the checkpoint, or 0 when the file does not say
 */
public record Weights(Path file, Map<String, NDArray> tensors, int classes) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Weights read(Path file, NDManager manager) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": weights file not found");
        }
        SafetensorsFile.Contents c = SafetensorsFile.read(file, manager);
        if (Checkpoint.FORMAT.equals(c.metadata().get("format"))) {
            // Without the optimiser's state and a distillation's projections: they load into no bare model.
            Map<String, NDArray> model = Checkpoint.modelTensors(c.tensors());
            int classes = JSON.readTree(c.metadata().getOrDefault("config", "{}")).path("numClasses").asInt(0);
            return new Weights(file, model, classes);
        }
        return new Weights(file, c.tensors(), 0);
    }
}
