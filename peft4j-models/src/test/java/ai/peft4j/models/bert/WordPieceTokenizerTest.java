package ai.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.peft4j.core.testing.SharedFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The basic pass and the WordPiece rules on the fixture vocabulary, and the two vocabulary formats. */
class WordPieceTokenizerTest {
    @TempDir
    Path tmp;

    private static Path vocab() {
        return SharedFiles.require("fixtures/bert/bert_vocab.txt");
    }

    @Test
    void basicPass_lowercasesStripsAccentsAndSplitsPunctuation() throws Exception {
        try (WordPieceTokenizer t = WordPieceTokenizer.fromVocab(vocab())) {
            assertEquals(List.of("[CLS]", "lemon", ",", "navel", ".", "[SEP]"),
                    t.encode("  LÉMON,\tNavel.\n").pieces());
        }
    }

    @Test
    void cjkCharacter_isAWordOfItsOwn() throws Exception {
        try (WordPieceTokenizer t = WordPieceTokenizer.fromVocab(vocab())) {
            // Without the CJK rule "lemon中lemon" would be one word and a single [UNK].
            assertEquals(List.of("[CLS]", "lemon", "[UNK]", "lemon", "[SEP]"), t.encode("lemon中lemon").pieces());
        }
    }

    @Test
    void pieces_areLongestMatchFirstAndAnOverlongWordIsUnknown() throws Exception {
        try (WordPieceTokenizer t = WordPieceTokenizer.fromVocab(vocab())) {
            assertEquals(List.of("[CLS]", "grape", "##fruit", "[SEP]"), t.encode("Grapefruit").pieces());
            assertEquals(List.of("[CLS]", "[UNK]", "[SEP]"), t.encode("grapefruits").pieces());
            // 100 characters is within the limit: pieces; 101 is over it: one [UNK] for the whole word.
            String hundred = "disco" + "lor".repeat(30) + "ation";
            String overlong = "disco" + "lor".repeat(32);
            assertEquals(100, hundred.length());
            assertEquals(101, overlong.length());
            List<String> pieces = t.encode(hundred).pieces();
            assertEquals(34, pieces.size());
            assertEquals(List.of("disco", "##lor"), pieces.subList(1, 3));
            assertEquals("##ation", pieces.get(32));
            assertEquals(List.of("[CLS]", "[UNK]", "[SEP]"), t.encode(overlong).pieces());
            assertEquals(t.id("[UNK]"), (int) t.encode(overlong).ids()[1]);
        }
    }

    @Test
    void longSentence_isNotTruncated() throws Exception {
        try (WordPieceTokenizer t = WordPieceTokenizer.fromVocab(vocab())) {
            String words = "lemon ".repeat(600);
            assertEquals(602, t.encode(words).length());
        }
    }

    @Test
    void vocabWithoutSpecialTokens_isRefusedNamingTheFileAndTokens() throws Exception {
        Path v = tmp.resolve("vocab.txt");
        Files.write(v, List.of("[PAD]", "[UNK]", "lemon", "navel"), StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> WordPieceTokenizer.fromVocab(v));
        assertEquals(v + ": vocabulary lacks BERT's special tokens [CLS], [SEP]; give the vocab.txt or "
                + "tokenizer.json of the BERT checkpoint", e.getMessage());
    }

    @Test
    void tokenizerJson_givesTheSameIdsAsItsVocabTxt() throws Exception {
        Path json = tmp.resolve("tokenizer.json");
        writeTokenizerJson(json, Files.readAllLines(vocab(), StandardCharsets.UTF_8));
        JsonNode prompts = BertParityTest.fixture().path("prompts");
        try (WordPieceTokenizer fromJson = WordPieceTokenizer.read(json)) {
            assertEquals(62, fromJson.vocabSize());
            for (Iterator<Map.Entry<String, JsonNode>> it = prompts.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                long[] want = new long[p.getValue().path("ids").size()];
                for (int i = 0; i < want.length; i++) {
                    want[i] = p.getValue().path("ids").get(i).asLong();
                }
                assertArrayEquals(want, fromJson.encode(p.getValue().path("text").asText()).ids(), p.getKey());
            }
        }
    }

    @Test
    void tokenizerJsonOfAnotherModel_isRefused() throws Exception {
        Path json = tmp.resolve("tokenizer.json");
        Files.writeString(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
        IOException e = assertThrows(IOException.class, () -> WordPieceTokenizer.read(json));
        assertEquals(json + ": tokenizer model is 'BPE', not WordPiece; give a BERT tokenizer.json or vocab.txt",
                e.getMessage());
    }

    /** The layout transformers' BertTokenizerFast saves (template post-processor, unlike the vocab.txt path). */
    private static void writeTokenizerJson(Path file, List<String> vocab) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens");
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).putNull("strip_accents").put("lowercase", true);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addAll(single.deepCopy());
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
        ObjectNode specials = post.putObject("special_tokens");
        for (String s : List.of("[CLS]", "[SEP]")) {
            ObjectNode o = specials.putObject(s).put("id", s);
            o.putArray("ids").add(vocab.indexOf(s));
            o.putArray("tokens").add(s);
        }
        root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = root.putObject("model").put("type", "WordPiece").put("unk_token", "[UNK]")
                .put("continuing_subword_prefix", "##").put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            v.put(vocab.get(i), i);
        }
        json.writeValue(file.toFile(), root);
    }
}
