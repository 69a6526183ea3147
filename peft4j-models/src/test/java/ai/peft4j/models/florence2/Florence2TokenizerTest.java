package ai.peft4j.models.florence2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokeniser against the fixture's ids ({@code florence2_tiny.json}: BartTokenizer plus the processor's tokens).
 * BART's 50,265-entry vocabulary is not among the shared files, so the test writes a cut-down {@code vocab.json} and
 * {@code merges.txt}: every token of the task prompts and labels under its published id, with merges that build each
 * one from its bytes. What is checked is everything around the merge table: the byte-level split, the task
 * sentences, {@code <s>}/{@code </s>}, the ids of the 1,024 added tokens and how they cut the text.
 */
class Florence2TokenizerTest {
    /** The published pieces of the fixture's prompts and labels, with their BART ids. */
    private static final Map<String, Integer> PIECES = new LinkedHashMap<>();

    static {
        String[] ids = {"What", "2264", "Ġis", "16", "Ġthe", "5", "Ġtext", "2788", "Ġin", "11", "Ġimage", "2274",
            "?", "116", ",", "6", "Ġwith", "19", "Ġregions", "3806", "Ġdoes", "473", "Ġdescribe", "6190", "Desc",
            "47066", "ribe", "21700", "Ġdetail", "4617", "Ġwhat", "99", "Ġshown", "2343", ".", "4", "Ġa", "10",
            "Ġparagraph", "17818", "Loc", "574", "ate", "22486", "Ġobjects", "8720", "Ġcategory", "4120", "Ġname",
            "766", "Ġtheir", "49", "Ġdescriptions", "24173", "Ġregion", "976", "Ġproposals", "5327", "Ġphrases",
            "22810", "Ġcaption", "3747", ":", "35", "Ġdrop", "1874", "Ġand", "8", "Ġbroken", "3187", "Ġwe", "52",
            "ft", "2543", "drop", "32597", "broken", "15894"};
        for (int i = 0; i < ids.length; i += 2) {
            PIECES.put(ids[i], Integer.parseInt(ids[i + 1]));
        }
    }

    @TempDir
    Path tmp;

    @Test
    void taskPrompts_encodeToPublishedIds() throws Exception {
        JsonNode tasks = Florence2Fixtures.description().path("tokenizer").path("tasks");
        assertEquals(10, tasks.size());
        try (Florence2Tokenizer t = Florence2Tokenizer.read(writeVocabAndMerges(tmp))) {
            for (Iterator<Map.Entry<String, JsonNode>> it = tasks.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> task = it.next();
                String sentence = TaskPrompts.construct(task.getKey());
                assertEquals(task.getValue().path("prompt").asText(), sentence, task.getKey());
                assertArrayEquals(Florence2Fixtures.longs(task.getValue().path("input_ids")), t.encode(sentence),
                        task.getKey());
            }
        }
    }

    @Test
    void odAnswer_encodesToPublishedLabelsAndDecodesBack() throws Exception {
        JsonNode inputs = Florence2Fixtures.description().path("inputs");
        String target = inputs.path("target_text").asText();
        try (Florence2Tokenizer t = Florence2Tokenizer.read(writeVocabAndMerges(tmp))) {
            long[] ids = t.encode(target);
            assertArrayEquals(Florence2Fixtures.longs(inputs.path("labels")), ids);
            assertEquals("<s>" + target + "</s>", t.decode(ids));
        }
    }

    @Test
    void addedTokens_takePublishedIdsAndSize() throws Exception {
        JsonNode facts = Florence2Fixtures.description().path("tokenizer");
        try (Florence2Tokenizer t = Florence2Tokenizer.read(writeVocabAndMerges(tmp))) {
            assertEquals(facts.path("len").asInt(), t.size());
            assertEquals(facts.path("loc_0_id").asInt(), t.locId(0));
            assertEquals(facts.path("loc_999_id").asInt(), t.locId(999));
            for (Iterator<Map.Entry<String, JsonNode>> it = facts.path("added_token_ids").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                long[] ids = t.encode(e.getKey());
                assertArrayEquals(new long[] {0, e.getValue().asLong(), 2}, ids, e.getKey());
            }
            t.requireVocabSize(51289);
        }
    }

    @Test
    void tokenizerJson_readsAsVocabAndMergesDo() throws Exception {
        // Laid out as BART's published tokenizer.json: the four specials, <mask> at 50264, no Florence-2 tokens.
        Path dir = writeVocabAndMerges(tmp);
        Path json = Files.createDirectories(tmp.resolve("json")).resolve("tokenizer.json");
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        for (String s : List.of("<s>", "<pad>", "</s>", "<unk>")) {
            added.addObject().put("id", List.of("<s>", "<pad>", "</s>", "<unk>").indexOf(s)).put("content", s)
                    .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", true)
                    .put("special", true);
        }
        added.addObject().put("id", 50264).put("content", "<mask>").put("single_word", false).put("lstrip", true)
                .put("rstrip", false).put("normalized", false).put("special", true);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode post = root.putObject("post_processor").put("type", "RobertaProcessing");
        post.putArray("sep").add("</s>").add(2);
        post.putArray("cls").add("<s>").add(0);
        post.put("trim_offsets", true).put("add_prefix_space", false);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.set("vocab", mapper.readTree(dir.resolve("vocab.json").toFile()));
        ArrayNode merges = model.putArray("merges");
        Files.readAllLines(dir.resolve("merges.txt")).stream().skip(1).forEach(merges::add);
        mapper.writeValue(json.toFile(), root);
        String target = "drop<loc_732><loc_481><loc_748><loc_501>broken<loc_1><loc_2><loc_300><loc_400>";
        try (Florence2Tokenizer a = Florence2Tokenizer.read(json.getParent());
                Florence2Tokenizer b = Florence2Tokenizer.read(dir)) {
            assertArrayEquals(b.encode(target), a.encode(target));
            assertArrayEquals(b.encode(TaskPrompts.construct("<OD>")), a.encode(TaskPrompts.construct("<OD>")));
            assertEquals(51289, a.size());
        }
    }

    @Test
    void vocabularySizeMismatch_namesFileAndBothSizes() throws Exception {
        Path dir = writeVocabAndMerges(tmp);
        try (Florence2Tokenizer t = Florence2Tokenizer.read(dir)) {
            IOException e = assertThrows(IOException.class, () -> t.requireVocabSize(64));
            assertEquals(dir.resolve("vocab.json") + ": the tokenizer has 51289 tokens but the model's vocabulary has"
                    + " 64; give the tokenizer of the same checkpoint", e.getMessage());
        }
    }

    @Test
    void folderWithoutTokenizer_saysWhatToGive() throws Exception {
        IOException e = assertThrows(IOException.class, () -> Florence2Tokenizer.read(tmp));
        assertEquals(tmp + ": no tokenizer.json, nor vocab.json with merges.txt; give the folder of a Florence-2"
                + " checkpoint", e.getMessage());
    }

    @Test
    void taskToken_mustBeWholePromptWhenTaskTakesNoInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskPrompts.construct("<OD> fabric"));
        assertTrue(e.getMessage().contains("task token <OD> must be the whole prompt"), e.getMessage());
        assertEquals("a plain question", TaskPrompts.construct("a plain question"));
        assertEquals("<OPEN_VOCABULARY_DETECTION>", TaskPrompts.taskOf("<OPEN_VOCABULARY_DETECTION>x").orElseThrow());
        assertTrue(TaskPrompts.taskOf("<DETECT>").isEmpty());
    }

    /**
     * A {@code vocab.json} holding {@link #PIECES} under their ids, BART's special tokens and every prefix the merges
     * pass through, and a {@code merges.txt} that builds each piece left to right. Pieces with a leading space come
     * first and whole words before word endings ({@code ate}, {@code ribe}, {@code ft}), so no merge meant for one
     * piece fires inside another.
     */
    static Path writeVocabAndMerges(Path dir) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<s>", 0);
        vocab.put("<pad>", 1);
        vocab.put("</s>", 2);
        vocab.put("<unk>", 3);
        vocab.put("<mask>", 50264);
        vocab.putAll(PIECES);
        Set<Integer> used = new HashSet<>(vocab.values());
        List<String> order = new ArrayList<>();
        PIECES.keySet().stream().filter(p -> p.startsWith("Ġ")).forEach(order::add);
        PIECES.keySet().stream().filter(p -> !p.startsWith("Ġ") && !List.of("ate", "ribe", "ft").contains(p))
                .forEach(order::add);
        order.addAll(List.of("ate", "ribe", "ft"));
        List<String> merges = new ArrayList<>();
        merges.add("#version: 0.2");
        int next = 30000;
        for (String piece : order) {
            String prefix = piece.substring(0, 1);
            for (int i = 0; i < piece.length(); i++) {
                String c = piece.substring(i, i + 1);
                String merged = piece.substring(0, i + 1);
                for (String s : List.of(c, merged)) {
                    if (!vocab.containsKey(s)) {
                        while (used.contains(next)) {
                            next++;
                        }
                        vocab.put(s, next);
                        used.add(next);
                    }
                }
                String merge = prefix + " " + c;
                if (i > 0 && !merges.contains(merge)) {
                    merges.add(merge);
                }
                prefix = merged;
            }
        }
        Path out = Files.createDirectories(dir.resolve("bart"));
        new ObjectMapper().writeValue(out.resolve("vocab.json").toFile(), vocab);
        Files.write(out.resolve("merges.txt"), merges, StandardCharsets.UTF_8);
        return out;
    }
}
