package ai.peft4j.models.florence2;

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
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Florence-2's tokeniser: BART's byte-level BPE ({@code BartTokenizerFast}) plus the 1,024 tokens the Florence-2
 * processor adds, in its order: {@code <od>}, {@code </od>}, {@code <ocr>}, {@code </ocr>}, {@code <loc_0>} ..
 * {@code <loc_999>}, then {@code <cap>} .. {@code <and>}; with BART's 50,265 entries that makes 51,289, the
 * model's vocabulary. Encoding puts {@code <s>} first and {@code </s>} last. The work is done by Hugging Face's
 * tokenizers library through DJL, whose jar carries its native library, so nothing is downloaded and the ids are
 * those of transformers' fast tokenizer. Reads a checkpoint's {@code tokenizer.json}, or {@code vocab.json} with
 * {@code merges.txt}, which it turns into the {@code tokenizer.json} BART's fast tokenizer describes.
 */
public final class Florence2Tokenizer implements AutoCloseable {
    /** BART's special tokens and their ids. */
    public static final int BOS = 0;
    public static final int PAD = 1;
    public static final int EOS = 2;
    public static final int UNK = 3;
    /** Coordinate bins of {@code <loc_N>}. */
    public static final int LOC_BINS = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final int size;
    private final int firstLocId;
    private final Path source;

    private Florence2Tokenizer(HuggingFaceTokenizer tokenizer, int size, int firstLocId, Path source) {
        this.tokenizer = tokenizer;
        this.size = size;
        this.firstLocId = firstLocId;
        this.source = source;
    }

    /** The tokens the Florence-2 processor adds to BART's, in its order. */
    public static List<String> addedTokens() {
        List<String> out = new ArrayList<>(List.of("<od>", "</od>", "<ocr>", "</ocr>"));
        for (int i = 0; i < LOC_BINS; i++) {
            out.add("<loc_" + i + ">");
        }
        out.addAll(List.of("<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>",
                "</grounding>", "<seg>", "</seg>", "<sep>", "<region_cap>", "</region_cap>", "<region_to_desciption>",
                "</region_to_desciption>", "<proposal>", "</proposal>", "<poly>", "</poly>", "<and>"));
        return Collections.unmodifiableList(out);
    }

    /**
     * Reads a checkpoint folder ({@code tokenizer.json}, else {@code vocab.json} and {@code merges.txt}) or a
     * {@code tokenizer.json} itself.
     */
    public static Florence2Tokenizer read(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path json = path.resolve("tokenizer.json");
            if (Files.isRegularFile(json)) {
                return fromTokenizerJson(json);
            }
            Path vocab = path.resolve("vocab.json");
            Path merges = path.resolve("merges.txt");
            if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
                return fromVocabAndMerges(vocab, merges);
            }
            throw new IOException(path + ": no tokenizer.json, nor vocab.json with merges.txt; give the folder of a"
                    + " Florence-2 checkpoint");
        }
        return fromTokenizerJson(path);
    }

    /** A Hugging Face {@code tokenizer.json} of a byte-level BPE model (BART's, with or without Florence-2's). */
    public static Florence2Tokenizer fromTokenizerJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": tokenizer not found");
        }
        ObjectNode root;
        try {
            root = (ObjectNode) JSON.readTree(file.toFile());
        } catch (IOException | ClassCastException e) {
            throw new IOException(file + ": not a JSON tokenizer (" + e.getMessage() + ")", e);
        }
        if (!"BPE".equals(root.path("model").path("type").asText())) {
            throw new IOException(file + ": tokenizer model is '" + root.path("model").path("type").asText()
                    + "', not BPE; give the tokenizer.json of a Florence-2 (BART) checkpoint");
        }
        return withFlorenceTokens(root, file);
    }

    /** BART's {@code vocab.json} (token to id) and {@code merges.txt} (one merge a line, ranked by order). */
    public static Florence2Tokenizer fromVocabAndMerges(Path vocabFile, Path mergesFile) throws IOException {
        for (Path f : List.of(vocabFile, mergesFile)) {
            if (!Files.isRegularFile(f)) {
                throw new IOException(f + ": not found; give the vocab.json and merges.txt of the checkpoint");
            }
        }
        JsonNode vocab;
        try {
            vocab = JSON.readTree(vocabFile.toFile());
        } catch (IOException e) {
            throw new IOException(vocabFile + ": not a JSON vocabulary (" + e.getMessage() + ")", e);
        }
        if (!vocab.isObject()) {
            throw new IOException(vocabFile + ": not a JSON object of token to id");
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>")) {
            if (!vocab.has(special)) {
                throw new IOException(vocabFile + ": vocabulary lacks BART's special token " + special);
            }
            // <mask> swallows the space before it, as BartTokenizerFast declares it.
            addToken(added, vocab.get(special).asInt(), special, special.equals("<mask>"));
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode post = root.putObject("post_processor").put("type", "RobertaProcessing");
        post.putArray("sep").add("</s>").add(vocab.get("</s>").asInt());
        post.putArray("cls").add("<s>").add(vocab.get("<s>").asInt());
        post.put("trim_offsets", true).put("add_prefix_space", false);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false);
        model.set("vocab", vocab);
        ArrayNode merges = model.putArray("merges");
        List<String> lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            if (line.split(" ").length != 2) {
                throw new IOException(mergesFile + ": line " + (i + 1) + " is not two tokens separated by a space: '"
                        + line + "'");
            }
            merges.add(line);
        }
        return withFlorenceTokens(root, vocabFile);
    }

    /** Adds the processor's tokens after the highest id so far, unless the file has them already. */
    private static Florence2Tokenizer withFlorenceTokens(ObjectNode root, Path source) throws IOException {
        Set<String> present = new HashSet<>();
        int next = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("model").path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            present.add(e.getKey());
            next = Math.max(next, e.getValue().asInt() + 1);
        }
        ArrayNode added = root.has("added_tokens") && root.get("added_tokens").isArray()
                ? (ArrayNode) root.get("added_tokens") : root.putArray("added_tokens");
        for (JsonNode t : added) {
            present.add(t.path("content").asText());
            next = Math.max(next, t.path("id").asInt() + 1);
        }
        for (String token : addedTokens()) {
            if (!present.contains(token)) {
                addToken(added, next++, token, false);
            }
        }
        int locId = -1;
        for (JsonNode t : added) {
            if (t.path("content").asText().equals("<loc_0>")) {
                locId = t.path("id").asInt();
            }
        }
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        try (InputStream in = new ByteArrayInputStream(JSON.writeValueAsBytes(root))) {
            return new Florence2Tokenizer(HuggingFaceTokenizer.newInstance(in, options), next, locId, source);
        } catch (RuntimeException e) {
            throw new IOException(source + ": the tokenizers library cannot read it (" + e.getMessage() + ")", e);
        }
    }

    private static void addToken(ArrayNode added, int id, String content, boolean lstrip) {
        added.addObject().put("id", id).put("content", content).put("single_word", false).put("lstrip", lstrip)
                .put("rstrip", false).put("normalized", false).put("special", true);
    }

    /** The file the tokeniser was read from. */
    public Path source() {
        return source;
    }

    /** Ids in use, BART's and the added tokens ({@code len(tokenizer)}): 51,289 for Florence-2. */
    public int size() {
        return size;
    }

    /** The id of {@code <loc_bin>}. */
    public int locId(int bin) {
        if (bin < 0 || bin >= LOC_BINS) {
            throw new IllegalArgumentException("location bin " + bin + " is outside 0.." + (LOC_BINS - 1));
        }
        return firstLocId + bin;
    }

    /**
     * Fails unless the tokeniser's ids fit a model with {@code vocabSize} rows, as a checkpoint's tokenizer must:
     * the message names the file and both sizes.
     */
    public void requireVocabSize(int vocabSize) throws IOException {
        if (size != vocabSize) {
            throw new IOException(source + ": the tokenizer has " + size + " tokens but the model's vocabulary has "
                    + vocabSize + "; give the tokenizer of the same checkpoint");
        }
    }

    /** Ids of a text with {@code <s>} first and {@code </s>} last, as {@code tokenizer(text).input_ids}. */
    public long[] encode(String text) {
        Encoding e = tokenizer.encode(text, true, false);
        return e.getIds();
    }

    /** The tokens of a text, BART's byte-level spelling ({@code Ġ} for a leading space). */
    public List<String> tokens(String text) {
        return List.of(tokenizer.encode(text, true, false).getTokens());
    }

    /**
     * Text of ids with the special tokens written out, as {@code batch_decode(ids, skip_special_tokens=False)},
     * which is what the processor's post-processing reads.
     */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, false);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
