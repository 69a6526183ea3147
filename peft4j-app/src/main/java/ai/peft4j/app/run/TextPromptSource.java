package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.models.bert.BertTextEncoder;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.BaseFingerprint;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.tplora.PublishedPrompts;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * TP-LoRA's text prompt made from a sentence ({@code method.options.prompt_text}, or a published name such as
 * {@code LARGE/ORANGE-NAVEL}) by the BERT of {@code method.options.text_encoder}, as the published
 * {@code text_encode.py} makes it offline. The embeddings are computed once and kept in the run folder under
 * {@code text-prompt/<key>.safetensors}, the key a SHA-256 of the encoder's content, the vocabulary's and the text,
 * so a rerun reads them instead of loading BERT again, and a run continued after the encoder's files changed is
 * refused rather than trained on with another prompt. The encoder never trains and never enters the adapter; the
 * adapter's settings record the sentence and the encoder's fingerprint.
 */
public final class TextPromptSource {
    /** The folder of the run that keeps the computed prompts. */
    public static final String CACHE_DIR = "text-prompt";
    private static final String TENSOR = "prompt";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path runFolder;
    private Encoded encoded;
    private boolean fromCache;

    /** A source for the run in {@code runFolder}, or null for no cache (the prompt is then always computed). */
    public TextPromptSource(Path runFolder) {
        this.runFolder = runFolder;
    }

    /**
     * A prompt with where it came from.
     *
     * @param prompt token embeddings {@code [seq, width]}
     * @param text the sentence
     * @param encoderFingerprint SHA-256 of the BERT checkpoint's weights and config
     * @param key the cache key of (encoder, vocabulary, text)
     */
    public record Encoded(TextPrompt prompt, String text, String encoderFingerprint, String key) {}

    /**
     * Whether {@code options} ask for a sentence to be encoded here: {@code prompt_text} or {@code text_encoder}
     * is set, or {@code prompt} names a published sentence rather than a file.
     */
    public static boolean asked(Map<String, Object> options) {
        return options.containsKey("prompt_text") || options.containsKey("text_encoder")
                || publishedName(options) != null;
    }

    /**
     * The library entry point: the token embeddings of {@code text} by the BERT at {@code checkpoint} (a model
     * folder with {@code vocab.txt}, or its {@code .safetensors} file with the vocabulary beside it), which must be
     * {@code expectedWidth} wide (768 for TP-LoRA's published text MLP).
     */
    public static Encoded encode(String text, Path checkpoint, int expectedWidth, NDManager manager)
            throws IOException {
        BertTextEncoder.Checkpoint files = BertTextEncoder.Checkpoint.locate(checkpoint);
        return encode(text, files, key(files, text), expectedWidth, manager);
    }

    private static Encoded encode(String text, BertTextEncoder.Checkpoint files, String key, int expectedWidth,
            NDManager manager) throws IOException {
        try (NDManager scope = manager.newSubManager(); BertTextEncoder bert = BertTextEncoder.load(files, scope)) {
            if (bert.width() != expectedWidth) {
                throw new IllegalArgumentException(files.weights() + ": this BERT makes " + bert.width() + "-wide "
                        + "token embeddings, but TP-LoRA's text MLP takes " + expectedWidth + " (bert-base); give a "
                        + "checkpoint of that width as method.options.text_encoder (--text-encoder)");
            }
            BertTextEncoder.Embeddings e;
            try {
                e = bert.encode(text);
            } catch (IllegalArgumentException tooLong) {
                // The sentence does not fit the encoder's positions: say which encoder and which setting.
                throw new IllegalArgumentException(files.weights() + ": method.options.prompt_text (--prompt-text): "
                        + tooLong.getMessage(), tooLong);
            }
            return new Encoded(new TextPrompt(e.values(), e.seq(), e.width()), text, bert.fingerprint(), key);
        }
    }

    /**
     * The prompt the options ask for, read from the run folder when it was computed before, else encoded; null when
     * the options do not ask for one (see {@link #asked}).
     */
    public TextPrompt resolve(Map<String, Object> options, int expectedWidth, NDManager manager) throws IOException {
        if (!asked(options)) {
            return null;
        }
        String name = publishedName(options);
        if (name != null && options.containsKey("prompt_text")) {
            throw new IllegalArgumentException("method.options: give the sentence once, as prompt_text ("
                    + "--prompt-text) or as a published name in prompt, not both");
        }
        if (name == null && options.containsKey("prompt")) {
            throw new IllegalArgumentException("method.options.prompt is a file of token embeddings ("
                    + options.get("prompt") + "); it cannot be used with prompt_text or text_encoder, which make "
                    + "the embeddings here. Give one or the other");
        }
        Object given = name != null ? name : options.get("prompt_text");
        if (given == null || String.valueOf(given).isBlank()) {
            throw new IllegalArgumentException("method.options.text_encoder is set but there is no sentence: give "
                    + "--prompt-text TEXT (or a published name such as LARGE/ORANGE-NAVEL)");
        }
        String text = PublishedPrompts.text(String.valueOf(given)).orElse(String.valueOf(given));
        Object encoder = options.get("text_encoder");
        if (encoder == null || String.valueOf(encoder).isBlank()) {
            throw new IllegalArgumentException("method.options.prompt_text needs method.options.text_encoder "
                    + "(--text-encoder DIR): the BERT checkpoint folder (model.safetensors, config.json, vocab.txt) "
                    + "whose token embeddings TP-LoRA takes, e.g. bert-base-uncased");
        }
        BertTextEncoder.Checkpoint files = BertTextEncoder.Checkpoint.locate(Path.of(String.valueOf(encoder)));
        String key = key(files, text);
        Path cached = cacheFile(key);
        if (cached != null && Files.isRegularFile(cached)) {
            encoded = new Encoded(read(cached, expectedWidth), text, files.fingerprint(), key);
            fromCache = true;
        } else {
            encoded = encode(text, files, key, expectedWidth, manager);
            fromCache = false;
        }
        return encoded.prompt();
    }

    /**
     * The BERT that commands loading an adapter hold a TP-LoRA adapter to: {@code flag} when given, else the run
     * file's {@code method.options.text_encoder}; null when neither names one (nothing is checked then).
     */
    public static Path encoderOf(Path flag, Map<String, Object> methodOptions) {
        if (flag != null) {
            return flag;
        }
        Object o = methodOptions.get("text_encoder");
        return o == null || String.valueOf(o).isBlank() ? null : Path.of(String.valueOf(o));
    }

    /** The content fingerprint of the BERT checkpoint at {@code encoder} (its folder or its weights file). */
    public static String fingerprint(Path encoder) throws IOException {
        return BertTextEncoder.Checkpoint.locate(encoder).fingerprint();
    }

    /**
     * Refuses the TP-LoRA adapter in {@code adapterDir} when its text prompt was not made by the BERT at
     * {@code encoder} (whose fingerprint is {@code encoderFingerprint}): the adapter records the encoder's
     * fingerprint in {@code prompt_source.text_encoder} of its settings. An adapter of another method passes, and so
     * does a directory that is no readable adapter ({@link AdapterFiles#load} says what is wrong with it).
     */
    public static void checkAdapter(Path adapterDir, Path encoder, String encoderFingerprint) throws IOException {
        Path configFile = adapterDir.resolve(AdapterFiles.CONFIG);
        if (!Files.isRegularFile(configFile)) {
            return;
        }
        JsonNode config;
        try {
            config = JSON.readTree(configFile.toFile());
        } catch (JacksonException e) {
            return;
        }
        if (!config.has("prompt_source") && !"tplora".equals(config.path("method").asText())) {
            return;
        }
        String recorded = config.path("prompt_source").path("text_encoder").asText("");
        if (recorded.isEmpty()) {
            throw new IllegalArgumentException(configFile + ": this TP-LoRA adapter records no text encoder (its "
                    + "prompt was given as token embeddings, method.options.prompt), so it cannot be checked "
                    + "against the text encoder " + encoder + "; leave text_encoder out");
        }
        if (!recorded.equals(encoderFingerprint)) {
            throw new IllegalArgumentException(configFile + ": this TP-LoRA adapter's text prompt was made by "
                    + "another BERT (text encoder " + BaseFingerprint.shorten(recorded) + " in prompt_source) than "
                    + encoder + " (" + BaseFingerprint.shorten(encoderFingerprint) + "); give the text encoder it "
                    + "was trained with (--text-encoder, method.options.text_encoder), or leave it out, since the "
                    + "adapter keeps its prompt");
        }
    }

    /** The prompt of the last {@link #resolve}, or null. */
    public Encoded encoded() {
        return encoded;
    }

    /** Records the sentence and the encoder in a TP-LoRA method's settings (what its adapter file keeps). */
    public void describe(PeftMethod method) {
        if (encoded != null && method instanceof TpLora tp) {
            tp.withPromptSource(encoded.text(), encoded.encoderFingerprint());
        }
    }

    /**
     * Keeps the computed prompt in the run folder; call with the folder's lock held. A continued run whose prompt
     * was made from another encoder, vocabulary or text is refused; files of a run that never trained are removed.
     */
    public void store() throws IOException {
        if (encoded == null || runFolder == null) {
            return;
        }
        Path dir = runFolder.resolve(CACHE_DIR);
        Path own = cacheFile(encoded.key());
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.safetensors")) {
                for (Path f : files) {
                    if (f.equals(own)) {
                        continue;
                    }
                    if (RunSettings.resumable(runFolder)) {
                        throw new IllegalArgumentException(runFolder + " holds a run trained with a text prompt made "
                                + "by another BERT or vocabulary (" + runFolder.relativize(f) + "); the text encoder's "
                                + "files changed since. Use a new output directory (--out), or restore the encoder "
                                + "it was trained with");
                    }
                    Files.delete(f);
                }
            }
        }
        if (fromCache) {
            return;
        }
        Files.createDirectories(dir);
        TextPrompt p = encoded.prompt();
        try (NDManager m = ai.peft4j.core.engine.EngineSetup.newManager()) {
            SafetensorsFile.write(own, Map.of(TENSOR, p.toArray(m)), Map.of("format", "peft4j-text-prompt",
                    "text", encoded.text(), "text_encoder", encoded.encoderFingerprint()));
        }
    }

    private Path cacheFile(String key) {
        return runFolder == null ? null : runFolder.resolve(CACHE_DIR).resolve(key + ".safetensors");
    }

    private static TextPrompt read(Path file, int expectedWidth) throws IOException {
        try (NDManager m = ai.peft4j.core.engine.EngineSetup.newManager()) {
            NDArray a = SafetensorsFile.read(file, m).tensors().get(TENSOR);
            Shape s = a == null ? null : a.getShape();
            if (s == null || s.dimension() != 3 || s.get(0) != 1 || s.get(2) != expectedWidth) {
                throw new IOException(file + ": not a " + expectedWidth + "-wide text prompt [1, seq, width]; "
                        + "delete it to compute the prompt again");
            }
            return new TextPrompt(a.toType(DataType.FLOAT32, false).toFloatArray(), (int) s.get(1), (int) s.get(2));
        }
    }

    /** The published sentence {@code prompt} names, when it names one and is not a file. */
    private static String publishedName(Map<String, Object> options) {
        Object p = options.get("prompt");
        if (p == null) {
            return null;
        }
        String name = String.valueOf(p);
        if (PublishedPrompts.text(name).isEmpty() || Files.exists(Path.of(name))) {
            return null;
        }
        return name;
    }

    private static String key(BertTextEncoder.Checkpoint files, String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            String in = files.fingerprint() + "\n" + files.vocabFingerprint() + "\n" + text;
            return HexFormat.of().formatHex(md.digest(in.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
