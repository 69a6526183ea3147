package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.state.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a Florence-2 checkpoint folder as transformers saves it: {@code config.json} and
 * {@code model.safetensors}. transformers may store the tied token table under one of its four names only
 * ({@code language_model.model.shared.weight}, both {@code embed_tokens} and {@code lm_head}); the others are
 * filled from it, as {@code tie_weights} does, and every other key must be there with its shape.
 */
public final class Florence2Checkpoint {
    /** The four names of the one token table, the first being where it lives. */
    public static final List<String> TIED = List.of("language_model.model.shared.weight",
            "language_model.model.encoder.embed_tokens.weight", "language_model.model.decoder.embed_tokens.weight",
            "language_model.lm_head.weight");

    private Florence2Checkpoint() {}

    /** The model of a checkpoint folder, weights loaded, in eval mode. */
    public static Florence2 load(Path dir, NDManager manager) throws IOException {
        Florence2Config config = Florence2Config.read(dir.resolve("config.json"));
        Path weights = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(weights)) {
            String why = Files.isRegularFile(dir.resolve("pytorch_model.bin"))
                    ? " (pytorch_model.bin is not read yet: convert it to safetensors)" : "";
            throw new IOException(dir + ": no model.safetensors in the Florence-2 checkpoint folder" + why);
        }
        Florence2 model = new Florence2(manager, config);
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> tensors = withTiedNames(SafetensorsFile.read(weights, tmp).tensors());
            model.loadStateDict(tensors, true);
        } catch (RuntimeException e) {
            throw new IOException(weights + ": does not fit the model its config.json describes: " + e.getMessage(),
                    e);
        }
        model.eval();
        return model;
    }

    /** The tensors with every absent name of the tied table filled from a present one. */
    public static Map<String, NDArray> withTiedNames(Map<String, NDArray> tensors) {
        NDArray table = null;
        for (String name : TIED) {
            if (tensors.containsKey(name)) {
                table = tensors.get(name);
                break;
            }
        }
        if (table == null) {
            return tensors;
        }
        Map<String, NDArray> out = new LinkedHashMap<>(tensors);
        for (String name : TIED) {
            out.putIfAbsent(name, table);
        }
        return out;
    }
}
