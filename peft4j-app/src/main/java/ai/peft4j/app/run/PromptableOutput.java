package ai.peft4j.app.run;

import ai.peft4j.core.pickle.PthFile;
import ai.peft4j.core.state.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a promptable run's model answers, recorded where its weights go so that inference can refuse the other
 * mode: {@link #MASK} (one binary mask per prompt, token 0) or {@link #CLASSES} (prompt-free, one mask token per
 * class). Checkpoints carry it in their metadata ({@link #METADATA_KEY}); adapter directories in
 * {@link #ADAPTER_FILE}. Weights from elsewhere (a published checkpoint) carry nothing: they were trained with
 * prompts.
 */
public final class PromptableOutput {
    public static final String METADATA_KEY = "promptable_output";
    public static final String ADAPTER_FILE = "promptable.json";
    public static final String MASK = "mask";
    public static final String CLASSES = "classes";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptableOutput() {}

    /** The checkpoint metadata entry of a run in that mode. */
    public static Map<String, String> metadata(boolean classes) {
        return Map.of(METADATA_KEY, classes ? CLASSES : MASK);
    }

    /** The mode a checkpoint was trained in, or null when it does not say (not a peft4j promptable checkpoint). */
    public static String ofCheckpoint(Path file) throws IOException {
        if (!Files.isRegularFile(file) || PthFile.isPyTorchFile(file)) {
            return null;
        }
        try {
            return SafetensorsHeader.metadata(file).get(METADATA_KEY);
        } catch (IOException e) {
            return null;
        }
    }

    /** Records the mode (and for {@link #CLASSES} the class count) in an adapter directory. */
    public static void writeAdapter(Path dir, boolean classes, int classCount) throws IOException {
        var node = JSON.createObjectNode().put("output", classes ? CLASSES : MASK);
        if (classes) {
            node.put("classes", classCount);
        }
        AtomicFiles.write(dir.resolve(ADAPTER_FILE), o -> o.write(node.toPrettyString()
                .getBytes(StandardCharsets.UTF_8)));
    }

    /** The adapter's recorded mode and class count, or null when it records none. */
    public static Recorded ofAdapter(Path dir) throws IOException {
        Path f = dir.resolve(ADAPTER_FILE);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        JsonNode j;
        try {
            j = JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": not readable JSON (" + e.getMessage().lines().findFirst()
                    .orElse("") + ")");
        }
        String output = j.path("output").asText("");
        if (!output.equals(MASK) && !output.equals(CLASSES)) {
            throw new IllegalArgumentException(f + ": \"output\" must be \"mask\" or \"classes\", got '" + output
                    + "'");
        }
        return new Recorded(output, j.path("classes").asInt(0));
    }

    /** A recorded mode and, for {@link #CLASSES}, the class count (0 otherwise). */
    public record Recorded(String output, int classes) {}
}
