package ai.peft4j.app.run;

import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.train.loop.Trainer;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The settings that shape a run's checkpoints (model, data, method, training), as dotted keys with their values,
 * so that a rerun in the same folder can be compared with the run it would continue. Settings that change nothing
 * in the result (loader threads, the output folder) are left out.
 *
 * @param values the settings by key, sorted; values as JSON text
 */
public record RunSettings(Map<String, String> values) {
    /** The checkpoint metadata key under which commands without a config.yaml store their settings. */
    public static final String METADATA_KEY = "run_settings";
    /**
     * Keys of a run file that do not shape the result. How a step saves memory is among them: freeing changes no
     * number and checkpointing only rounding, so a run may continue with checkpointing on to fit in memory.
     */
    static final Set<String> COSMETIC = Set.of("training.workers", "output", "training.free_intermediates",
            "training.checkpoint");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    public RunSettings {
        values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** The shaping settings of a resolved run configuration, keyed as in the run file. */
    public static RunSettings of(RunConfig config) {
        try {
            return of(YAML.readTree(RunConfigFile.toYaml(config)));
        } catch (JacksonException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The shaping settings of a run folder's {@code config.yaml}, read as a run file: a key that an older version
     * did not write takes its default, as the run that wrote it did.
     */
    public static RunSettings readResolved(Path file) {
        return of(RunConfigFile.read(file, List.of()).config());
    }

    /** Settings named freely (a command's options), values as they should be compared. */
    public static RunSettings ofOptions(Map<String, ?> options) {
        Map<String, String> v = new TreeMap<>();
        options.forEach((k, o) -> v.put(k, text(JSON.valueToTree(o))));
        return new RunSettings(v);
    }

    /** Reads {@link #toJson}'s form. */
    public static RunSettings fromJson(String json) throws IOException {
        Map<String, String> v = new TreeMap<>();
        JSON.readTree(json).fields().forEachRemaining(e -> v.put(e.getKey(), e.getValue().asText()));
        return new RunSettings(v);
    }

    /** These settings less {@code keys} (settings a command checks in another way). */
    public RunSettings without(Set<String> keys) {
        Map<String, String> v = new TreeMap<>(values);
        v.keySet().removeAll(keys);
        return new RunSettings(v);
    }

    /** A JSON object of the settings, for a checkpoint's metadata. */
    public String toJson() {
        return JSON.valueToTree(values).toString();
    }

    /** One line per key whose value differs: {@code key: saved -> now}, in key order. */
    public List<String> differences(RunSettings now) {
        Set<String> keys = new TreeSet<>(values.keySet());
        keys.addAll(now.values.keySet());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            String saved = values.get(k);
            String current = now.values.get(k);
            if (saved == null ? current != null : !saved.equals(current)) {
                out.add(k + ": " + (saved == null ? "(not set)" : saved) + " -> " + (current == null ? "(not set)"
                        : current));
            }
        }
        return out;
    }

    /**
     * Fails when {@code out} holds a resumable run (a last checkpoint) whose saved settings differ from
     * {@code now}, naming each differing key with the saved and the new value.
     *
     * @param savedIn where the saved settings were read from, for the message
     * @param remedy what to do instead, e.g. how to resume with the saved settings
     */
    public static void requireSame(Path out, RunSettings saved, String savedIn, RunSettings now, String remedy) {
        List<String> diff = saved.differences(now);
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException(out + " holds a run with other settings (saved in " + savedIn
                    + "; saved -> now): " + String.join("; ", diff) + ". " + remedy);
        }
    }

    /** Whether {@code out} holds a run a rerun would continue. */
    public static boolean resumable(Path out) {
        return Files.isRegularFile(out.resolve(Trainer.LAST));
    }

    /**
     * Fails when {@code out}'s last checkpoint stores settings (under {@link #METADATA_KEY}) that differ from
     * {@code now}; a folder without a checkpoint, or with one that stores none, passes.
     */
    public static void requireStored(Path out, RunSettings now, String remedy) throws IOException {
        if (resumable(out)) {
            RunSettings saved = storedIn(out);
            if (saved != null) {
                requireSame(out, saved, out.resolve(Trainer.LAST).toString(), now, remedy);
            }
        }
    }

    /** The settings a command stored in {@code out}'s last checkpoint, or null when it stored none. */
    public static RunSettings storedIn(Path out) throws IOException {
        Path last = out.resolve(Trainer.LAST);
        String json = SafetensorsHeader.metadata(last).get(METADATA_KEY);
        try {
            return json == null ? null : fromJson(json);
        } catch (JacksonException e) {
            throw new IOException(last + ": its " + METADATA_KEY + " metadata is not JSON (" + e.getOriginalMessage()
                    + "); use a new output directory", e);
        }
    }

    private static RunSettings of(JsonNode tree) {
        Map<String, String> v = new TreeMap<>();
        flatten("", tree, v);
        COSMETIC.forEach(v::remove);
        return new RunSettings(v);
    }

    /** Objects become dotted keys (an empty one none: method options that are not given); lists and scalars values. */
    private static void flatten(String prefix, JsonNode node, Map<String, String> into) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), into);
            }
        } else {
            into.put(prefix, text(node));
        }
    }

    /** Texts bare (a quoted "1" equals 1: YAML may quote either), the rest as JSON; an empty text shows as "". */
    private static String text(JsonNode node) {
        return node.isTextual() ? (node.asText().isEmpty() ? "\"\"" : node.asText()) : node.toString();
    }
}
