package ai.peft4j.app;

import static ai.peft4j.app.TinyRuns.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TextPromptSource;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.bert.BertTextEncoder;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.core.nn.Module;
import ai.peft4j.models.bert.TinyBert;
import ai.peft4j.peft.tplora.PublishedPrompts;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code finetune --method tplora --prompt-text ... --text-encoder BERT}: the prompt made here, and its errors. */
class TextPromptCliTest {
    private static final ModelSection FIXTURE = new ModelSection("swin-att-unet", "swin-fixture", 0, 32, "");

    @TempDir
    Path tmp;

    /**
     * A BERT folder as transformers saves one: 768 wide as TP-LoRA's text MLP needs, one layer so it stays small,
     * the fixture vocabulary, closed-form weights.
     */
    private Path bert(String name, int hidden, int heads) throws Exception {
        return TinyBert.write(tmp.resolve(name), hidden, heads, 128, TinyBert.fixtureVocabulary());
    }

    private Path runFile(Path out) throws Exception {
        Path data = tmp.resolve("lemon");
        if (!Files.isDirectory(data)) {
            TinyRuns.lemons(data);
        }
        return TinyRuns.RunFile.lemons(data).write(tmp.resolve("lemon.yaml"), out);
    }

    private Path base() throws Exception {
        Path weights = tmp.resolve("base.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(weights, SegmentationNet.build(FIXTURE, 3, m).stateDict(), Map.of());
        }
        return weights;
    }

    private Map<Path, String> outside(Path out) throws Exception {
        return TinyRuns.outside(tmp, out);
    }

    @Test
    void finetune_withPublishedPromptName_encodesOnceKeepsItInTheRunAndRecordsItInTheAdapter() throws Exception {
        Path bert = bert("bert", 768, 12);
        Path weights = base();
        Path out = tmp.resolve("runs/tp");
        Path config = runFile(out);
        Map<Path, String> before = outside(out.getParent());
        CliRun r = CliRun.of("finetune", "--config", config.toString(), "--method", "tplora", "--base",
                weights.toString(), "--prompt-text", "LARGE/LEMON", "--text-encoder", bert.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        String sentence = PublishedPrompts.all().get("LARGE/LEMON");
        int tokens = new ObjectMapper().readTree(SharedFiles.require("fixtures/bert/bert_small.json").toFile())
                .path("prompts").path("LARGE/LEMON").path("ids").size();
        assertTrue(r.out().contains("Prompt    " + tokens + " BERT tokens of \"" + sentence + "\""), r.out());
        assertEquals(before, outside(out.getParent()));

        JsonNode source = new ObjectMapper().readTree(out.resolve("adapter/" + AdapterFiles.CONFIG).toFile())
                .path("prompt_source");
        assertEquals(sentence, source.path("text").asText());
        assertEquals(BertTextEncoder.Checkpoint.locate(bert).fingerprint(), source.path("text_encoder").asText());
        // The prompt the adapter holds is the library's encoding of the sentence, and the one kept in the run.
        List<Path> cached;
        try (Stream<Path> files = Files.list(out.resolve(TextPromptSource.CACHE_DIR))) {
            cached = files.toList();
        }
        assertEquals(1, cached.size());
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> adapter = SafetensorsFile.read(out.resolve("adapter/" + AdapterFiles.WEIGHTS), m)
                    .tensors();
            assertFalse(adapter.keySet().stream().anyMatch(k -> k.contains("word_embeddings")
                    || k.contains("attention.self")), "BERT is not in the adapter: " + adapter.keySet());
            float[] stored = adapter.get("peft4j.tplora.prompt").toFloatArray();
            assertArrayEquals(TextPromptSource.encode(sentence, bert, 768, m).prompt().values(), stored);
            assertArrayEquals(SafetensorsFile.read(cached.get(0), m).tensors().get("prompt").toFloatArray(), stored);
        }

        // The encoder's weights change under the same path: the run is not continued with another prompt.
        Path bertWeights = bert.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(bertWeights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(bertWeights, bytes);
        byte[] last = Files.readAllBytes(out.resolve("last.safetensors"));
        CliRun again = CliRun.of("finetune", "--config", config.toString(), "--method", "tplora", "--base",
                weights.toString(), "--prompt-text", "LARGE/LEMON", "--text-encoder", bert.toString());
        assertEquals(out + " holds a run trained with a text prompt made by another BERT or vocabulary ("
                + out.relativize(cached.get(0)) + "); the text encoder's files changed since. Use a new output "
                + "directory (--out), or restore the encoder it was trained with", assertOneLineError(again));
        assertArrayEquals(last, Files.readAllBytes(out.resolve("last.safetensors")));
    }

    @Test
    void bertFolderWithPytorchModelBin_encodesAsItsSafetensorsCopy() throws Exception {
        Path bert = bert("bert", 768, 12);
        // The same weights as transformers' older save_pretrained writes them: a pickled OrderedDict.
        Path bin = Files.createDirectories(tmp.resolve("bert-bin"));
        Files.copy(bert.resolve("config.json"), bin.resolve("config.json"));
        Files.copy(bert.resolve("vocab.txt"), bin.resolve("vocab.txt"));
        try (NDManager m = EngineSetup.newManager()) {
            TorchZipWriter.writeStateDict(bin.resolve("pytorch_model.bin"),
                    SafetensorsFile.read(bert.resolve("model.safetensors"), m).tensors());
            assertEquals(bin.resolve("pytorch_model.bin"), BertTextEncoder.Checkpoint.locate(bin).weights());
            String sentence = PublishedPrompts.all().get("LARGE/ORANGE-NAVEL");
            TextPromptSource.Encoded fromBin = TextPromptSource.encode(sentence, bin, 768, m);
            TextPromptSource.Encoded fromSafetensors = TextPromptSource.encode(sentence, bert, 768, m);
            assertEquals(fromSafetensors.prompt().seq(), fromBin.prompt().seq());
            assertArrayEquals(fromSafetensors.prompt().values(), fromBin.prompt().values());
        }
    }

    @Test
    void promptTextErrors_exit2NamingWhatToGiveAndWriteNothing() throws Exception {
        Path weights = base();
        Path out = tmp.resolve("runs/bad");
        Path config = runFile(out);
        Path narrow = bert("narrow", 64, 2);
        Path noVocab = bert("novocab", 768, 12);
        Files.delete(noVocab.resolve("vocab.txt"));
        Path noSpecials = bert("nospecials", 768, 12);
        List<String> vocab = Files.readAllLines(noSpecials.resolve("vocab.txt"));
        Files.write(noSpecials.resolve("vocab.txt"), vocab.stream().map(v -> v.equals("[SEP]") ? "[SPE]" : v)
                .toList());
        Path positions = bert("positions", 768, 12);
        Map<Path, String> before = outside(out);
        String[] common = {"finetune", "--config", config.toString(), "--method", "tplora", "--base",
            weights.toString(), "--prompt-text", "A lemon defect dataset."};

        assertEquals("method.options.prompt_text needs method.options.text_encoder (--text-encoder DIR): the BERT "
                + "checkpoint folder (model.safetensors, config.json, vocab.txt) whose token embeddings TP-LoRA "
                + "takes, e.g. bert-base-uncased", assertOneLineError(CliRun.of(common)));
        assertEquals(narrow.resolve("model.safetensors") + ": this BERT makes 64-wide token embeddings, but "
                + "TP-LoRA's text MLP takes 768 (bert-base); give a checkpoint of that width as "
                + "method.options.text_encoder (--text-encoder)", assertOneLineError(CliRun.of(with(common,
                "--text-encoder", narrow.toString()))));
        assertEquals(noVocab.resolve("model.safetensors") + ": no vocab.txt or tokenizer.json beside the BERT "
                + "checkpoint (in " + noVocab + "); put the vocabulary of the checkpoint there",
                assertOneLineError(CliRun.of(with(common, "--text-encoder", noVocab.toString()))));
        assertEquals(noSpecials.resolve("vocab.txt") + ": vocabulary lacks BERT's special token [SEP]; give the "
                + "vocab.txt or tokenizer.json of the BERT checkpoint", assertOneLineError(CliRun.of(with(common,
                "--text-encoder", noSpecials.resolve("model.safetensors").toString()))));
        // 127 pieces and [CLS], [SEP]: one more than the 128 positions of this BERT.
        assertEquals(positions.resolve("model.safetensors") + ": method.options.prompt_text (--prompt-text): the "
                + "text is 129 word pieces with [CLS] and [SEP], but this BERT has 128 positions; shorten it (the "
                + "published code does not truncate)", assertOneLineError(CliRun.of("finetune", "--config",
                config.toString(), "--method", "tplora", "--base", weights.toString(), "--prompt-text",
                "lemon ".repeat(127).strip(), "--text-encoder", positions.toString())));
        assertFalse(Files.exists(out));
        assertEquals(before, outside(out));
    }

    /**
     * A TP-LoRA adapter whose prompt the BERT at {@code encoder} made (null: given as embeddings, no encoder
     * recorded), on the fixture base written to {@code base}; returns the adapter directory.
     */
    private Path tpLoraAdapter(String name, Path encoder, Path base) throws Exception {
        Path dir = tmp.resolve(name);
        try (NDManager m = EngineSetup.newManager()) {
            Module model = SegmentationNet.build(FIXTURE, 3, m);
            SafetensorsFile.write(base, model.stateDict(), Map.of());
            String text = PublishedPrompts.all().get("LARGE/LEMON");
            TpLora method;
            if (encoder == null) {
                method = TpLora.published(TpLoraConfig.readme(), TextPrompt.zeros(7, 768));
            } else {
                TextPromptSource.Encoded e = TextPromptSource.encode(text, encoder, 768, m);
                method = TpLora.published(TpLoraConfig.readme(), e.prompt()).withPromptSource(text,
                        e.encoderFingerprint());
            }
            AdapterFiles.save(method.attach(model), dir);
        }
        return dir;
    }

    @Test
    void adapterPromptedByAnotherEncoder_isRefusedByEvalPredictAndExplain() throws Exception {
        Path own = bert("own", 768, 12);
        Path other = bert("other", 768, 12);
        // The same shapes and names, other weights: only the content fingerprint tells them apart.
        Path otherWeights = other.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(otherWeights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(otherWeights, bytes);
        Path base = tmp.resolve("base.safetensors");
        Path adapter = tpLoraAdapter("tp", own, base);
        Path config = runFile(tmp.resolve("runs/eval"));
        String recorded = BertTextEncoder.Checkpoint.locate(own).fingerprint();
        String given = BertTextEncoder.Checkpoint.locate(other).fingerprint();
        String refusal = adapter.resolve(AdapterFiles.CONFIG) + ": this TP-LoRA adapter's text prompt was made by "
                + "another BERT (text encoder " + recorded.substring(0, 12) + " in prompt_source) than " + other
                + " (" + given.substring(0, 12) + "); give the text encoder it was trained with (--text-encoder, "
                + "method.options.text_encoder), or leave it out, since the adapter keeps its prompt";
        String[] model = {"--config", config.toString(), "--checkpoint", base.toString(), "--adapter",
            adapter.toString()};
        Path image = tmp.resolve("lemon/JPEGImages").toFile().listFiles()[0].toPath();

        // The encoder it was made by passes; without one nothing is checked.
        CliRun ok = CliRun.of(with(with(new String[] {"eval"}, model), "--out", tmp.resolve("ok").toString(),
                "--text-encoder", own.toString()));
        assertEquals(0, ok.code(), ok.err() + ok.out());
        CliRun unchecked = CliRun.of(with(with(new String[] {"predict", image.toString()}, model), "--out",
                tmp.resolve("unchecked").toString()));
        assertEquals(0, unchecked.code(), unchecked.err() + unchecked.out());

        Map<Path, String> before = outside(tmp.resolve("refused"));
        assertEquals(refusal, assertOneLineError(CliRun.of(with(with(new String[] {"eval"}, model), "--out",
                tmp.resolve("refused/eval").toString(), "--text-encoder", other.toString()))));
        // The run file's method.options.text_encoder (as finetune's config.yaml keeps it) is checked as well.
        assertEquals(refusal, assertOneLineError(CliRun.of(with(with(new String[] {"predict", image.toString()},
                model), "--out", tmp.resolve("refused/predict").toString(), "--set",
                "method.options.text_encoder=" + other))));
        assertEquals(refusal, assertOneLineError(CliRun.of(with(with(new String[] {"explain", image.toString()},
                model), "--out", tmp.resolve("refused/explain").toString(), "--text-encoder", other.toString()))));
        assertFalse(Files.exists(tmp.resolve("refused")));
        assertEquals(before, outside(tmp.resolve("refused")));

        // An adapter whose prompt came as embeddings records no encoder: it cannot be held to one.
        Path embeddings = tpLoraAdapter("tp-embeddings", null, tmp.resolve("base2.safetensors"));
        assertEquals(embeddings.resolve(AdapterFiles.CONFIG) + ": this TP-LoRA adapter records no text encoder "
                + "(its prompt was given as token embeddings, method.options.prompt), so it cannot be checked "
                + "against the text encoder " + own + "; leave text_encoder out", assertOneLineError(CliRun.of(
                "eval", "--config", config.toString(), "--checkpoint", tmp.resolve("base2.safetensors").toString(),
                "--adapter", embeddings.toString(), "--out", tmp.resolve("refused/eval2").toString(),
                "--text-encoder", own.toString())));
    }

    private static String[] with(String[] common, String... more) {
        String[] all = java.util.Arrays.copyOf(common, common.length + more.length);
        System.arraycopy(more, 0, all, common.length, more.length);
        return all;
    }
}
