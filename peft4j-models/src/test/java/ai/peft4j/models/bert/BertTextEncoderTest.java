package ai.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading BERT checkpoints as transformers saves them, padding masks, and the limits of the encoder. */
class BertTextEncoderTest {
    private static final String CONFIG = "{\"model_type\": \"bert\", \"vocab_size\": 62, \"hidden_size\": 64, "
            + "\"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 128, "
            + "\"max_position_embeddings\": 128, \"hidden_act\": \"gelu\", \"layer_norm_eps\": 1e-12}";

    @TempDir
    Path tmp;

    /** A small closed-form checkpoint folder; {@code rename} edits its keys (a task model's layout). */
    private Path checkpoint(String name, boolean taskLayout) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Files.copy(SharedFiles.require("fixtures/bert/bert_vocab.txt"), dir.resolve("vocab.txt"));
        try (NDManager m = EngineSetup.newManager()) {
            BertModel model = new BertModel(m, BertConfig.fixtureSmall());
            ClosedFormWeights.fill(model);
            Map<String, NDArray> state = new LinkedHashMap<>();
            model.stateDict().forEach((k, v) -> {
                if (!taskLayout) {
                    state.put(k, v);
                    return;
                }
                String key = "bert." + k.replaceAll("LayerNorm\\.weight$", "LayerNorm.gamma")
                        .replaceAll("LayerNorm\\.bias$", "LayerNorm.beta");
                state.put(key, v);
            });
            if (taskLayout) {
                state.put("bert.embeddings.position_ids", m.arange(0L, 128L).reshape(1, 128));
                state.put("cls.predictions.bias", m.zeros(new Shape(62)));
            }
            SafetensorsFile.write(dir.resolve("model.safetensors"), state, Map.of("format", "pt"));
        }
        return dir;
    }

    @Test
    void taskModelCheckpoint_loadsByNameAndEncodesAsTheBareModel() throws Exception {
        String text = "A lemon defect dataset.";
        try (NDManager m = EngineSetup.newManager();
                BertTextEncoder bare = BertTextEncoder.load(checkpoint("bare", false), m);
                BertTextEncoder task = BertTextEncoder.load(checkpoint("task", true).resolve("model.safetensors"), m)) {
            assertArrayEquals(bare.encode(text).values(), task.encode(text).values());
            assertNotEquals(bare.fingerprint(), task.fingerprint());
        }
    }

    @Test
    void fingerprint_followsTheWeightsContentNotTheFolder() throws Exception {
        Path a = checkpoint("a", false);
        Path b = checkpoint("b", false);
        try (NDManager m = EngineSetup.newManager();
                BertTextEncoder ea = BertTextEncoder.load(a, m);
                BertTextEncoder eb = BertTextEncoder.load(b, m)) {
            assertEquals(ea.fingerprint(), eb.fingerprint());
            assertEquals(64, ea.fingerprint().length());
        }
        byte[] bytes = Files.readAllBytes(b.resolve("model.safetensors"));
        bytes[bytes.length - 1] ^= 1;
        Files.write(b.resolve("model.safetensors"), bytes);
        try (NDManager m = EngineSetup.newManager();
                BertTextEncoder ea = BertTextEncoder.load(a, m);
                BertTextEncoder eb = BertTextEncoder.load(b, m)) {
            assertNotEquals(ea.fingerprint(), eb.fingerprint());
        }
    }

    @Test
    void paddedBatch_givesTheUnpaddedOutputsOnRealTokens() throws Exception {
        try (NDManager m = EngineSetup.newManager(); BertTextEncoder e = BertTextEncoder.load(checkpoint("p",
                false), m)) {
            WordPieceTokenizer.Tokens shortOne = e.tokenizer().encode("A lemon defect dataset.");
            WordPieceTokenizer.Tokens longOne = e.tokenizer().encode("A navel orange defect dataset with stem.");
            int s = longOne.length();
            int n = shortOne.length();
            long[] ids = new long[2 * s];
            long[] mask = new long[2 * s];
            for (int i = 0; i < s; i++) {
                ids[i] = longOne.ids()[i];
                mask[i] = 1;
                ids[s + i] = i < n ? shortOne.ids()[i] : e.tokenizer().id("[PAD]");
                mask[s + i] = i < n ? 1 : 0;
            }
            float[] batch = NoGradient.run(() -> e.model().forward(m.create(ids, new Shape(2, s)),
                    m.create(mask, new Shape(2, s)), null).toFloatArray());
            float[] alone = e.encode("A lemon defect dataset.").values();
            double worst = 0;
            for (int i = 0; i < alone.length; i++) {
                worst = Math.max(worst, Math.abs(alone[i] - batch[s * 64 + i]));
            }
            assertTrue(worst < 1e-5, "padded row differs by " + worst);
            // Without the mask the padding is attended to and the outputs move.
            float[] unmasked = NoGradient.run(() -> e.model().forward(m.create(ids, new Shape(2, s))).toFloatArray());
            assertTrue(Math.abs(unmasked[s * 64] - alone[0]) > 1e-4);
        }
    }

    @Test
    void sentenceLongerThanThePositions_isRefused() throws Exception {
        try (NDManager m = EngineSetup.newManager(); BertTextEncoder e = BertTextEncoder.load(checkpoint("l",
                false), m)) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> e.encode("lemon ".repeat(127)));
            assertEquals("the text is 129 word pieces with [CLS] and [SEP], but this BERT has 128 positions; "
                    + "shorten it (the published code does not truncate)", x.getMessage());
            assertEquals(128, e.encode("lemon ".repeat(126)).seq());
        }
    }

    @Test
    void checkpointWithoutVocab_isRefusedNamingTheFolder() throws Exception {
        Path dir = checkpoint("nv", false);
        Files.delete(dir.resolve("vocab.txt"));
        try (NDManager m = EngineSetup.newManager()) {
            IOException e = assertThrows(IOException.class, () -> BertTextEncoder.load(dir, m));
            assertEquals(dir.resolve("model.safetensors") + ": no vocab.txt or tokenizer.json beside the BERT "
                    + "checkpoint (in " + dir + "); put the vocabulary of the checkpoint there", e.getMessage());
        }
    }

    @Test
    void weightsThatAreNeitherSafetensorsNorAPickle_areRefusedNamingTheFile() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bin"));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        try (NDManager m = EngineSetup.newManager()) {
            IOException e = assertThrows(IOException.class, () -> BertTextEncoder.load(dir, m));
            assertEquals(dir.resolve("pytorch_model.bin") + ": a BERT checkpoint must be a .safetensors file or a "
                    + "PyTorch checkpoint (pytorch_model.bin); this file is neither", e.getMessage());
            IOException none = assertThrows(IOException.class, () -> BertTextEncoder.load(empty, m));
            assertEquals(empty + ": no model.safetensors or pytorch_model.bin in the BERT checkpoint folder",
                    none.getMessage());
        }
    }
}
