package ai.peft4j.serve;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What {@code peft4j serve} runs: a YAML file whose keys are these components in snake case, with command-line
 * flags on top. Missing values take the defaults below.
 *
 * @param checkpoint the base model's weights (a {@code peft4j train} checkpoint)
 * @param config the run file that describes the base model (its model and data sections: architecture, input
 *     size, class names, palette)
 * @param adapters the folder of adapters, one sub-folder per product line, named for the line: an adapter
 *     directory, or a folder that holds one as {@code adapter/} (a finetune run, a transfer benchmark method)
 * @param host the address to bind: 127.0.0.1 unless the service is meant to be reached from other machines
 * @param port the TCP port; 0 picks a free one
 * @param queue requests waiting for the model at most; more are refused with 429
 * @param timeoutMs how long a request may wait and run before it is answered with 504
 * @param maxRequestBytes the largest inspection request body
 * @param maxAdapterBytes the largest adapter upload, and the largest adapter once unzipped
 * @param maxPixels the largest image, in pixels, refused from its header before its pixels are decoded
 * @param threshold the default verdict threshold: an image fails when a defect class covers more pixels
 * @param tokenFile a file holding the bearer token the management endpoints require, or null for none
 * @param textEncoder the BERT checkpoint folder TP-LoRA lines' text prompts must have been made by (default: the
 *     run file's {@code method.options.text_encoder}); a TP-LoRA adapter that records another is refused
 * @param workers model workers, each with a copy of the model (base and adapters) of its own
 */
public record ServeSettings(Path checkpoint, Path config, Path adapters, String host, Integer port, Integer queue,
        Long timeoutMs, Long maxRequestBytes, Long maxAdapterBytes, Long maxPixels, Long threshold, Path tokenFile,
        Path textEncoder, Integer workers) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_QUEUE = 32;
    public static final long DEFAULT_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_MAX_REQUEST_BYTES = 32L << 20;
    public static final long DEFAULT_MAX_ADAPTER_BYTES = 256L << 20;
    /** 4096 x 4096: far above an inspection camera's frame, far below a decompression bomb. */
    public static final long DEFAULT_MAX_PIXELS = 4096L * 4096;
    /** 100 pixels: a defect a little larger than 10 x 10 pixels fails the image. */
    public static final long DEFAULT_THRESHOLD = 100;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public ServeSettings {
        host = host == null || host.isBlank() ? DEFAULT_HOST : host;
        workers = workers == null ? 1 : workers;
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        }
        port = port == null ? DEFAULT_PORT : port;
        queue = queue == null ? DEFAULT_QUEUE : queue;
        timeoutMs = timeoutMs == null ? DEFAULT_TIMEOUT_MS : timeoutMs;
        maxRequestBytes = maxRequestBytes == null ? DEFAULT_MAX_REQUEST_BYTES : maxRequestBytes;
        maxAdapterBytes = maxAdapterBytes == null ? DEFAULT_MAX_ADAPTER_BYTES : maxAdapterBytes;
        maxPixels = maxPixels == null ? DEFAULT_MAX_PIXELS : maxPixels;
        threshold = threshold == null ? DEFAULT_THRESHOLD : threshold;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
        }
        if (queue < 1) {
            throw new IllegalArgumentException("queue must be at least 1, got " + queue);
        }
        for (Map.Entry<String, Long> e : Map.of("timeout_ms", timeoutMs, "max_request_bytes", maxRequestBytes,
                "max_adapter_bytes", maxAdapterBytes, "max_pixels", maxPixels).entrySet()) {
            if (e.getValue() < 1) {
                throw new IllegalArgumentException(e.getKey() + " must be positive, got " + e.getValue());
            }
        }
        if (threshold < 0) {
            throw new IllegalArgumentException("threshold must be 0 or more pixels, got " + threshold);
        }
    }

    /** Settings with one model worker that check no text encoder. */
    public ServeSettings(Path checkpoint, Path config, Path adapters, String host, Integer port, Integer queue,
            Long timeoutMs, Long maxRequestBytes, Long maxAdapterBytes, Long maxPixels, Long threshold,
            Path tokenFile) {
        this(checkpoint, config, adapters, host, port, queue, timeoutMs, maxRequestBytes, maxAdapterBytes, maxPixels,
                threshold, tokenFile, null, null);
    }

    /**
     * The settings of {@code file} (null for none) with {@code flags} on top: a map of snake-case keys to the
     * values given on the command line.
     */
    public static ServeSettings read(Path file, Map<String, Object> flags) {
        ObjectNode tree = YAML.createObjectNode();
        if (file != null) {
            try {
                var own = YAML.readTree(Files.readString(file));
                if (own != null && !own.isNull() && !own.isMissingNode()) {
                    if (!own.isObject()) {
                        throw new IllegalArgumentException(file + ": a serve file is a mapping of keys (checkpoint, "
                                + "config, adapters, port, ...), not a " + own.getNodeType().toString().toLowerCase());
                    }
                    tree.setAll((ObjectNode) own);
                    // Paths in a serve file are relative to its folder, as paths in a run file are; flags to the
                    // working folder.
                    Path dir = file.toAbsolutePath().getParent();
                    for (String key : new String[] {"checkpoint", "config", "adapters", "token_file",
                        "text_encoder"}) {
                        if (tree.path(key).isTextual()) {
                            tree.put(key, dir.resolve(tree.path(key).asText()).toString());
                        }
                    }
                }
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(file + ": serve file not found");
            } catch (JacksonException e) {
                throw new IllegalArgumentException(file + ": not valid YAML (" + e.getOriginalMessage()
                        + (e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr()) + ")");
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage());
            }
        }
        flags.forEach((k, v) -> {
            if (v != null) {
                tree.put(k, v.toString());
            }
        });
        String where = file == null ? "serve settings" : file.toString();
        try {
            return YAML.treeToValue(tree, ServeSettings.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(where + ": unknown key '" + e.getPropertyName() + "' (known: "
                    + "checkpoint, config, adapters, host, port, queue, timeout_ms, max_request_bytes, "
                    + "max_adapter_bytes, max_pixels, threshold, token_file, text_encoder, workers)");
        } catch (ValueInstantiationException e) {
            // A value out of range, said by the constructor above.
            throw e.getCause() instanceof IllegalArgumentException c ? c
                    : new IllegalArgumentException(where + ": " + e.getOriginalMessage());
        } catch (InvalidFormatException e) {
            String key = e.getPath().isEmpty() ? "?" : e.getPath().get(0).getFieldName();
            throw new IllegalArgumentException(where + ": " + key + ": '" + e.getValue() + "' is not a "
                    + (Number.class.isAssignableFrom(e.getTargetType()) ? "whole number" : e.getTargetType()
                    .getSimpleName()));
        } catch (JacksonException e) {
            throw new IllegalArgumentException(where + ": " + e.getOriginalMessage());
        }
    }

    /** The same settings on another port (tests start on port 0). */
    public ServeSettings withPort(int newPort) {
        return new ServeSettings(checkpoint, config, adapters, host, newPort, queue, timeoutMs, maxRequestBytes,
                maxAdapterBytes, maxPixels, threshold, tokenFile, textEncoder, workers);
    }
}
