package ai.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.train.report.EpochRecord;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint in one safetensors file, written atomically: the model's state dict under its PyTorch
 * names (so {@code load_state_dict(load_file(f), strict=False)} reads it), the optimiser's state under
 * {@code optimizer/} (a prefix no module path can take), and in the metadata the completed epochs, the seed, the
 * configuration and the history so far.
 *
 * <p>The engine's random generator state cannot be read through DJL, so instead of saving it the trainer reseeds
 * the engine at the start of every epoch from the run's seed and the epoch number ({@link #epochSeed}); a resumed
 * epoch therefore draws the same dropout masks as an uninterrupted one.
 *
 * @param epochsDone epochs completed when it was written
 * @param bestEpoch the best epoch so far (1-based), 0 when none was evaluated
 * @param bestScore its score (mIoU, or negated validation loss), NaN when none
 */
public record Checkpoint(int epochsDone, String configJson, List<EpochRecord> history, int bestEpoch,
        double bestScore, Map<String, NDArray> modelState, Map<String, NDArray> optimizerState) {
    public static final String FORMAT = "peft4j-checkpoint-1";
    static final String OPTIMIZER_PREFIX = "optimizer/";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes model and optimiser state with the run's progress; the file appears complete or not at all. */
    public static void write(Path file, Map<String, NDArray> modelState, Map<String, NDArray> optimizerState,
            int epochsDone, String configJson, long seed, List<EpochRecord> history, int bestEpoch,
            double bestScore) throws IOException {
        write(file, modelState, optimizerState, epochsDone, configJson, seed, history, bestEpoch, bestScore, Map.of());
    }

    /** As the other {@code write}, with {@code extra} entries in the metadata (not the checkpoint's own keys). */
    public static void write(Path file, Map<String, NDArray> modelState, Map<String, NDArray> optimizerState,
            int epochsDone, String configJson, long seed, List<EpochRecord> history, int bestEpoch,
            double bestScore, Map<String, String> extra) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>(modelState);
        optimizerState.forEach((k, v) -> tensors.put(OPTIMIZER_PREFIX + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("epochs_done", Integer.toString(epochsDone));
        meta.put("seed", Long.toString(seed));
        meta.put("next_epoch_seed", Long.toString(epochSeed(seed, epochsDone)));
        meta.put("config", configJson);
        meta.put("history", JSON.writeValueAsString(history));
        meta.put("best_epoch", Integer.toString(bestEpoch));
        meta.put("best_score", Double.toString(bestScore));
        extra.forEach((k, v) -> {
            if (meta.putIfAbsent(k, v) != null) {
                throw new IllegalArgumentException("metadata key '" + k + "' is the checkpoint's own");
            }
        });
        SafetensorsFile.write(file, tensors, meta);
    }

    /** Reads a checkpoint into {@code manager}; a file that is not one says so. */
    public static Checkpoint read(Path file, NDManager manager) throws IOException {
        SafetensorsFile.Contents c = SafetensorsFile.read(file, manager);
        Map<String, String> meta = c.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IOException(file + " is not a peft4j training checkpoint (metadata format is "
                    + meta.get("format") + ", expected " + FORMAT + ")");
        }
        Map<String, NDArray> model = new LinkedHashMap<>();
        Map<String, NDArray> optimizer = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> {
            if (k.startsWith(OPTIMIZER_PREFIX)) {
                optimizer.put(k.substring(OPTIMIZER_PREFIX.length()), v);
            } else {
                model.put(k, v);
            }
        });
        List<EpochRecord> history = JSON.readValue(meta.get("history"), new TypeReference<List<EpochRecord>>() {});
        return new Checkpoint(Integer.parseInt(meta.get("epochs_done")), meta.get("config"), history,
                Integer.parseInt(meta.get("best_epoch")), Double.parseDouble(meta.get("best_score")), model,
                optimizer);
    }

    /**
     * The model's own weights: {@link #modelState()} without the entries of modules trained alongside it, which
     * the trainer keeps under {@code name/} (such as a distillation's projections), so they load strictly into
     * the bare model.
     */
    public Map<String, NDArray> modelWeights() {
        return modelTensors(modelState);
    }

    /**
     * The tensors of the trained model itself among a checkpoint's: the optimiser's state and modules trained
     * beside the model sit under prefixes with a '/', which no module path has.
     */
    public static Map<String, NDArray> modelTensors(Map<String, NDArray> tensors) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (k.indexOf('/') < 0) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The engine seed of epoch {@code epoch} (from 0): SplitMix64 of the run seed and the epoch, as an int. */
    public static long epochSeed(long seed, int epoch) {
        long z = seed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (int) z & 0x7fffffff;
    }
}
