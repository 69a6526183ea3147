package ai.peft4j.models.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's WordPiece tokeniser: the basic pass (clean-up of control characters and whitespace, CJK characters set
 * apart, lower-casing, accents stripped by NFD, punctuation split), then greedy longest-match-first pieces with
 * {@code ##} continuations, a word over 100 characters becoming {@code [UNK]}, and {@code [CLS] ... [SEP]} around
 * the sentence. The work is done by Hugging Face's own tokenizers library through DJL
 * ({@code ai.djl.huggingface:tokenizers}), whose jar carries the native library for linux-x86_64, linux-aarch64,
 * macOS arm64 and Windows and extracts it to DJL's cache, so nothing is downloaded; it is the implementation behind
 * transformers' fast {@code BertTokenizerFast}, which is what makes the token ids the published ones. A
 * {@code vocab.txt} is turned into the {@code tokenizer.json} that {@code BertWordPieceTokenizer(vocab,
 * lowercase=True)} describes.
 */
public final class WordPieceTokenizer implements AutoCloseable {
    /** The special tokens BERT's input needs: padding, unknown word, sentence start and end. */
    public static final List<String> SPECIAL_TOKENS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> vocab;
    private final Path source;

    private WordPieceTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> vocab, Path source) {
        this.tokenizer = tokenizer;
        this.vocab = vocab;
        this.source = source;
    }

    /** The ids and word pieces of a sentence, {@code [CLS]} first and {@code [SEP]} last. */
    public record Tokens(long[] ids, List<String> pieces) {
        public int length() {
            return ids.length;
        }
    }

    /** Reads a {@code vocab.txt} (one piece a line, the id is the line number) or a {@code tokenizer.json}. */
    public static WordPieceTokenizer read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".json") ? fromTokenizerJson(file) : fromVocab(file);
    }

    /** The tokeniser of a {@code vocab.txt}, lower-casing and stripping accents as {@code bert-base-uncased}. */
    public static WordPieceTokenizer fromVocab(Path vocabFile) throws IOException {
        if (!Files.isRegularFile(vocabFile)) {
            throw new IOException(vocabFile + ": vocabulary not found");
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(vocabFile, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            // As the tokenizers library reads vocab.txt: trailing whitespace dropped, a repeated piece takes the
            // later id.
            vocab.put(lines.get(i).stripTrailing(), i);
        }
        requireSpecialTokens(vocab, vocabFile);
        ObjectNode json = JSON.createObjectNode();
        json.put("version", "1.0");
        json.putNull("truncation");
        json.putNull("padding");
        ArrayNode added = json.putArray("added_tokens");
        for (String special : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
            if (vocab.containsKey(special)) {
                added.addObject().put("id", vocab.get(special)).put("content", special).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
            }
        }
        json.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).putNull("strip_accents").put("lowercase", true);
        json.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = json.putObject("post_processor").put("type", "BertProcessing");
        post.putArray("sep").add("[SEP]").add(vocab.get("[SEP]"));
        post.putArray("cls").add("[CLS]").add(vocab.get("[CLS]"));
        json.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = json.putObject("model").put("type", "WordPiece").put("unk_token", "[UNK]")
                .put("continuing_subword_prefix", "##").put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        return new WordPieceTokenizer(load(JSON.writeValueAsBytes(json), vocabFile), vocab, vocabFile);
    }

    /**
     * The tokeniser a Hugging Face {@code tokenizer.json} describes; it must be a WordPiece model whose
     * {@code model.vocab} holds BERT's special tokens.
     */
    public static WordPieceTokenizer fromTokenizerJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": tokenizer not found");
        }
        byte[] bytes = Files.readAllBytes(file);
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IOException(file + ": not a JSON tokenizer (" + e.getMessage() + ")", e);
        }
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new IOException(file + ": tokenizer model is '" + model.path("type").asText()
                    + "', not WordPiece; give a BERT tokenizer.json or vocab.txt");
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        requireSpecialTokens(vocab, file);
        return new WordPieceTokenizer(load(bytes, file), vocab, file);
    }

    private static void requireSpecialTokens(Map<String, Integer> vocab, Path file) throws IOException {
        List<String> missing = new ArrayList<>();
        for (String s : SPECIAL_TOKENS) {
            if (!vocab.containsKey(s)) {
                missing.add(s);
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(file + ": vocabulary lacks BERT's special token" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing) + "; give the vocab.txt or tokenizer.json of the BERT checkpoint");
        }
    }

    private static HuggingFaceTokenizer load(byte[] json, Path file) throws IOException {
        // No truncation and no padding: the published text_encode.py encodes the whole sentence as it is.
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        try (InputStream in = new ByteArrayInputStream(json)) {
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (RuntimeException e) {
            throw new IOException(file + ": the tokenizers library cannot read it (" + e.getMessage() + ")", e);
        }
    }

    /** The file the tokeniser was read from. */
    public Path source() {
        return source;
    }

    /** Pieces in the vocabulary. */
    public int vocabSize() {
        return vocab.size();
    }

    /** The id of a piece, or -1 when the vocabulary lacks it. */
    public int id(String piece) {
        return vocab.getOrDefault(piece, -1);
    }

    /** Tokenises a sentence with {@code [CLS]} and {@code [SEP]}, as {@code tokenizer.encode(text)} does. */
    public Tokens encode(String text) {
        Encoding e = tokenizer.encode(text, true, false);
        return new Tokens(e.getIds(), List.copyOf(Arrays.asList(e.getTokens())));
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
