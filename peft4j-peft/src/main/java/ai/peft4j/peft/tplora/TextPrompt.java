package ai.peft4j.peft.tplora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.state.SafetensorsFile;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The BERT token embeddings {@code [seq, width]} of a sentence describing the product line, computed offline (as
 * the published code does) and read from a file.
 *
 * @param values row-major {@code seq x width}
 * @param seq tokens
 * @param width embedding width (768 for bert-base)
 */
public record TextPrompt(float[] values, int seq, int width) {
    /** bert-base's hidden width, which the published text MLP expects. */
    public static final int BERT_BASE_WIDTH = 768;

    public TextPrompt {
        if (seq < 1 || values.length != seq * width) {
            throw new IllegalArgumentException("text prompt has " + values.length + " values, not " + seq + " x "
                    + width);
        }
    }

    /** A prompt of zeros (for counting parameters, where the text does not matter). */
    public static TextPrompt zeros(int seq, int width) {
        return new TextPrompt(new float[seq * width], seq, width);
    }

    /** As a tensor {@code [1, seq, width]} in {@code manager}. */
    public NDArray toArray(NDManager manager) {
        return manager.create(values, new Shape(1, seq, width));
    }

    /**
     * Reads a prompt of the expected width. A {@code .safetensors} file holds one tensor {@code [seq, width]} or
     * {@code [1, seq, width]} (or several, one of them named {@code text_vector} or {@code prompt}); a {@code .json}
     * file is the published {@code prompt_vector.json} (a list of {size, dataset, vector}), from which
     * {@code size}/{@code dataset} select one entry.
     */
    public static TextPrompt read(Path file, int expectedWidth, String size, String dataset, NDManager manager)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": text prompt file not found");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        TextPrompt p;
        if (name.endsWith(".json")) {
            p = readPublishedJson(file, size, dataset);
        } else {
            Map<String, NDArray> t = SafetensorsFile.read(file, manager).tensors();
            NDArray a = t.size() == 1 ? t.values().iterator().next()
                    : t.containsKey("text_vector") ? t.get("text_vector") : t.get("prompt");
            if (a == null) {
                throw new IOException(file + ": holds " + t.keySet() + "; expected one tensor, or one named "
                        + "'text_vector' or 'prompt'");
            }
            Shape s = a.getShape();
            boolean ok = s.dimension() == 2 || (s.dimension() == 3 && s.get(0) == 1);
            if (!ok) {
                throw new IOException(file + ": text prompt has shape " + s + "; expected [seq, width] or "
                        + "[1, seq, width]");
            }
            int width = (int) s.get(s.dimension() - 1);
            int seq = (int) s.get(s.dimension() - 2);
            p = new TextPrompt(a.toType(DataType.FLOAT32, false).toFloatArray(), seq, width);
        }
        if (p.width() != expectedWidth) {
            throw new IOException(file + ": text prompt is " + p.width() + " wide, but TP-LoRA's text MLP takes "
                    + expectedWidth + " (bert-base token embeddings); encode the prompt with the matching BERT");
        }
        return p;
    }

    private static TextPrompt readPublishedJson(Path file, String size, String dataset) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        for (JsonNode e : root) {
            if (e.path("size").asText().equalsIgnoreCase(size) && e.path("dataset").asText().equalsIgnoreCase(dataset)) {
                JsonNode v = e.path("vector");
                JsonNode rows = v.size() == 1 && v.get(0).get(0).isArray() ? v.get(0) : v;
                int seq = rows.size();
                int width = rows.get(0).size();
                float[] out = new float[seq * width];
                for (int i = 0; i < seq; i++) {
                    for (int j = 0; j < width; j++) {
                        out[i * width + j] = (float) rows.get(i).get(j).asDouble();
                    }
                }
                return new TextPrompt(out, seq, width);
            }
        }
        throw new IOException(file + ": no entry with size '" + size + "' and dataset '" + dataset + "'");
    }
}
