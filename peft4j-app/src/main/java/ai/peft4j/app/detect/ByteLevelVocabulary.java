package ai.peft4j.app.detect;

import ai.peft4j.core.state.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small byte-level BPE vocabulary in BART's file format ({@code vocab.json}, {@code merges.txt}), for a
 * Florence-2 trained from scratch where BART's 50,265-token vocabulary is not at hand: BART's five special tokens
 * under their ids (0 {@code <s>}, 1 {@code <pad>}, 2 {@code </s>}, 3 {@code <unk>}, then {@code <mask>} last), the
 * 256 byte symbols of the byte-level alphabet, and merges that make each given word (with and without its leading
 * space) one token. Any text still encodes, byte by byte where no merge applies. The Florence-2 tokeniser adds
 * its 1,024 task and location tokens after these.
 */
public final class ByteLevelVocabulary {
    private ByteLevelVocabulary() {}

    /** GPT-2's byte-to-symbol table: printable bytes stand for themselves, the rest map above 255. */
    static char[] byteSymbols() {
        char[] out = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            out[b] = printable[b] ? (char) b : (char) (256 + extra++);
        }
        return out;
    }

    /** Writes {@code vocab.json} and {@code merges.txt} into {@code dir} with merges for {@code words}. */
    public static void write(Path dir, Collection<String> words) throws IOException {
        char[] symbols = byteSymbols();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : List.of("<s>", "<pad>", "</s>", "<unk>")) {
            vocab.put(s, vocab.size());
        }
        for (char c : symbols) {
            vocab.putIfAbsent(String.valueOf(c), vocab.size());
        }
        Set<String> merges = new LinkedHashSet<>();
        Set<String> forms = new LinkedHashSet<>();
        for (String w : words) {
            if (!w.isEmpty()) {
                forms.add(w);
                forms.add(" " + w);
            }
        }
        for (String w : forms) {
            List<String> pieces = new ArrayList<>();
            for (byte b : w.getBytes(StandardCharsets.UTF_8)) {
                pieces.add(String.valueOf(symbols[b & 0xFF]));
            }
            while (pieces.size() > 1) {
                String merged = pieces.get(0) + pieces.get(1);
                merges.add(pieces.get(0) + " " + pieces.get(1));
                vocab.putIfAbsent(merged, vocab.size());
                pieces.set(0, merged);
                pieces.remove(1);
            }
        }
        vocab.put("<mask>", vocab.size());
        ObjectNode json = new ObjectMapper().createObjectNode();
        vocab.forEach(json::put);
        Files.createDirectories(dir);
        byte[] v = new ObjectMapper().writeValueAsBytes(json);
        AtomicFiles.write(dir.resolve("vocab.json"), o -> o.write(v));
        StringBuilder m = new StringBuilder("#version: 0.2\n");
        merges.forEach(l -> m.append(l).append('\n'));
        AtomicFiles.write(dir.resolve("merges.txt"), o -> o.write(m.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
