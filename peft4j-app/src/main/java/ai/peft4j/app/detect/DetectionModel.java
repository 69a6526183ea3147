package ai.peft4j.app.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.models.florence2.Florence2;
import ai.peft4j.models.florence2.Florence2Checkpoint;
import ai.peft4j.models.florence2.Florence2Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Florence-2 as the trainer takes a model: a module tree with a one-tensor forward, which is the image tokens of
 * images {@code [N, 3, H, W]}; the teacher-forced loss and generation go through {@link Florence2}'s own methods.
 */
public final class DetectionModel extends Florence2 implements Layer {
    public DetectionModel(NDManager manager, Florence2Config config) {
        super(manager, config);
    }

    /** The model of a Florence-2 checkpoint folder ({@code config.json}, {@code model.safetensors}). */
    public static DetectionModel load(Path dir, NDManager manager) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a Florence-2 checkpoint folder (config.json, model.safetensors, "
                    + "tokenizer); write one with 'peft4j boxes --starter DIR'");
        }
        Florence2Config config = Florence2Config.read(dir.resolve("config.json"));
        Path weights = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(weights)) {
            throw new IOException(dir + ": no model.safetensors in the Florence-2 checkpoint folder");
        }
        DetectionModel model = new DetectionModel(manager, config);
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> tensors = Florence2Checkpoint.withTiedNames(
                    SafetensorsFile.read(weights, tmp).tensors());
            model.loadStateDict(tensors, true);
        } catch (RuntimeException e) {
            throw new IOException(weights + ": does not fit the model its config.json describes: " + e.getMessage(),
                    e);
        }
        return model;
    }

    @Override
    public NDArray forward(NDArray x) {
        return encodeImage(x);
    }
}
