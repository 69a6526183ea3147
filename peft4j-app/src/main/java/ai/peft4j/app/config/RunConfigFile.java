package ai.peft4j.app.config;

import ai.peft4j.core.state.AtomicFiles;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads a YAML run file onto a {@link RunConfig}: the built-in defaults, then the file, then the command-line
 * overrides in the order given (a later one wins). A key that is not a component of the configuration, in the file
 * or in an override, is an error naming where it came from and the keys that are known there.
 *
 * @param config the resolved configuration
 * @param file the run file it was read from, or null when there was none
 * @param overrides the overrides applied, in order
 */
public record RunConfigFile(RunConfig config, Path file, List<ConfigOverride> overrides) {
    /** The resolved configuration's name in a run directory. */
    public static final String RESOLVED = "config.yaml";

    private static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    // A key given twice would silently take its last value.
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // epochs: 1.5 is a mistake to report, not 1 to train with.
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    public RunConfigFile {
        overrides = List.copyOf(overrides);
    }

    /** Reads {@code file} with the overrides applied. */
    public static RunConfigFile read(Path file, List<ConfigOverride> overrides) {
        ObjectNode tree = defaults();
        JsonNode own;
        try {
            own = YAML.readTree(utf8(file, Files.readAllBytes(file)));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": run file not found");
        } catch (StreamReadException e) {
            JsonParser p = e.getProcessor();
            if (p != null && String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")) {
                String key = p.getParsingContext().pathAsPointer().toString().substring(1).replace('/', '.');
                throw new IllegalArgumentException(file + ": key '" + key + "' appears twice in "
                        + (key.contains(".") ? "section " + key.substring(0, key.lastIndexOf('.')) : "the file")
                        + (e.getLocation() == null ? "" : " (again on line " + e.getLocation().getLineNr() + ")")
                        + "; keep one of them");
            }
            throw new IllegalArgumentException(file + ": not valid YAML (" + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr()) + ")");
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": not valid YAML (" + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr()) + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage());
        }
        if (own != null && !own.isMissingNode() && !own.isNull()) {
            if (!own.isObject()) {
                throw new IllegalArgumentException(file + ": a run file is a mapping of sections (model, data, "
                        + "training, method, output), not a " + own.getNodeType().toString().toLowerCase());
            }
            merge(tree, (ObjectNode) own);
        }
        return resolve(tree, file, overrides);
    }

    /** The file's text; bytes that are not UTF-8 (a file saved as Latin-1, say) fail naming where they are. */
    static String utf8(Path file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: not UTF-8 text: byte 0x%02X at "
                    + "offset %d (line %d) is not valid UTF-8; save the run file as UTF-8", file, bytes[offset] & 0xFF,
                    offset, line));
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    /** The defaults with the overrides applied, for commands run without a run file. */
    public static RunConfigFile defaultsWith(List<ConfigOverride> overrides) {
        return resolve(defaults(), null, overrides);
    }

    private static RunConfigFile resolve(ObjectNode tree, Path file, List<ConfigOverride> overrides) {
        for (ConfigOverride o : overrides) {
            apply(tree, o);
        }
        try {
            return new RunConfigFile(YAML.treeToValue(tree, RunConfig.class), file, overrides);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(explain(e, file, overrides), e);
        } catch (JacksonException e) {
            throw new IllegalArgumentException((file == null ? "configuration" : file.toString()) + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /** Writes the resolved configuration to {@code dir/config.yaml}, with where it came from as a comment. */
    public Path writeResolved(Path dir, String command) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append("# Resolved run configuration, written by 'peft4j ").append(command).append("' at ")
                .append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\n');
        text.append("# run file: ").append(file == null ? "(none: built-in defaults)" : file.toAbsolutePath()
                .normalize()).append('\n');
        if (overrides.isEmpty()) {
            text.append("# overrides: none\n");
        } else {
            text.append("# overrides, in the order applied (later wins):\n");
            for (ConfigOverride o : overrides) {
                text.append("#   ").append(o.origin()).append('\n');
            }
        }
        text.append(toYaml(config));
        Path target = dir.resolve(RESOLVED);
        AtomicFiles.write(target, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
        return target;
    }

    /** The configuration as YAML with every key, in the run-file spelling. */
    public static String toYaml(RunConfig config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JacksonException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode defaults() {
        try (InputStream in = RunConfigFile.class.getResourceAsStream("defaults.yaml")) {
            return (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Objects merge key by key; anything else (lists included) replaces. */
    private static void merge(ObjectNode into, ObjectNode from) {
        Iterator<Map.Entry<String, JsonNode>> it = from.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = into.get(e.getKey());
            if (old instanceof ObjectNode o && e.getValue() instanceof ObjectNode n) {
                merge(o, n);
            } else {
                into.set(e.getKey(), e.getValue());
            }
        }
    }

    private static void apply(ObjectNode tree, ConfigOverride o) {
        List<String> keys = o.keys();
        ObjectNode node = tree;
        for (int i = 0; i < keys.size() - 1; i++) {
            JsonNode child = node.get(keys.get(i));
            if (child == null || child.isNull()) {
                child = node.putObject(keys.get(i));
            } else if (!child.isObject()) {
                throw new IllegalArgumentException(o.origin() + ": '" + String.join(".", keys.subList(0, i + 1))
                        + "' is a value, not a section");
            }
            node = (ObjectNode) child;
        }
        node.set(keys.get(keys.size() - 1), parseValue(o));
    }

    private static JsonNode parseValue(ConfigOverride o) {
        if (o.value().isBlank()) {
            return TextNode.valueOf("");
        }
        try {
            JsonNode v = YAML.readTree(o.value());
            return v == null || v.isMissingNode() ? JsonNodeFactory.instance.nullNode() : v;
        } catch (JacksonException e) {
            return TextNode.valueOf(o.value());
        }
    }

    /** A binding failure as the user needs it: which key, from which file or option, and what is allowed. */
    private static String explain(JsonMappingException e, Path file, List<ConfigOverride> overrides) {
        String key = dotted(e.getPath());
        String source = source(key, file, overrides);
        if (e instanceof UnrecognizedPropertyException u) {
            Collection<Object> known = u.getKnownPropertyIds();
            String section = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "the top level";
            TreeSet<String> names = new TreeSet<>();
            if (known != null) {
                known.forEach(k -> names.add(String.valueOf(k)));
            }
            return source + ": unknown key '" + key + "' (known keys in " + section + ": " + String.join(", ", names)
                    + ")";
        }
        if (e instanceof ValueInstantiationException && e.getCause() instanceof SettingException s) {
            return source(s.key(), file, overrides) + ": " + s.getMessage();
        }
        if (e instanceof ValueInstantiationException && e.getCause() != null) {
            return source + ": " + e.getCause().getMessage();
        }
        if (e instanceof InvalidFormatException f) {
            return source + ": " + key + ": cannot read '" + f.getValue() + "' as "
                    + describe(f.getTargetType());
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return source + ": " + key + ": expected " + describe(m.getTargetType());
        }
        return source + ": " + (key.isEmpty() ? "" : key + ": ") + e.getOriginalMessage();
    }

    private static String describe(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type == String.class) {
            return "a text";
        }
        return "a " + type.getSimpleName().replace("Section", " section").toLowerCase();
    }

    private static String dotted(List<JsonMappingException.Reference> path) {
        List<String> parts = new ArrayList<>();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null) {
                parts.add(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                parts.add(Integer.toString(r.getIndex()));
            }
        }
        return String.join(".", parts);
    }

    /** The override that set {@code key} (the last one wins), else the run file. */
    private static String source(String key, Path file, List<ConfigOverride> overrides) {
        for (int i = overrides.size() - 1; i >= 0; i--) {
            ConfigOverride o = overrides.get(i);
            if (!key.isEmpty() && (key.equals(o.path()) || key.startsWith(o.path() + ".")
                    || o.path().startsWith(key + "."))) {
                return o.origin();
            }
        }
        return file == null ? "configuration" : file.toString();
    }
}
