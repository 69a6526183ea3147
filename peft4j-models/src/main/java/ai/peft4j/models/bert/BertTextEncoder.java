package ai.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.pickle.PthFile;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.state.StateDictException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * A frozen BERT with its tokeniser that turns a sentence into its token embeddings, as TP-LoRA's published
 * {@code text_encode.py} does: {@code [CLS]} and {@code [SEP]} added, no truncation, eval mode, no gradient, the
 * {@code last_hidden_state [seq, hidden]}. The checkpoint is a Hugging Face model folder ({@code model.safetensors}
 * or {@code pytorch_model.bin}, read by the restricted unpickler; {@code config.json}; {@code vocab.txt} or
 * {@code tokenizer.json}) or its weights file with those files beside it.
 */
public final class BertTextEncoder implements AutoCloseable {
    private final BertModel model;
    private final WordPieceTokenizer tokenizer;
    private final Path weights;
    private final String fingerprint;

    private BertTextEncoder(BertModel model, WordPieceTokenizer tokenizer, Path weights, String fingerprint) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.fingerprint = fingerprint;
    }

    /** Token embeddings of one sentence: row-major {@code seq x width}, with the word pieces they belong to. */
    public record Embeddings(float[] values, int seq, int width, WordPieceTokenizer.Tokens tokens) {}

    /**
     * The files of a BERT checkpoint, with content fingerprints: which encoder made a prompt, whatever its path.
     *
     * @param weights the {@code .safetensors} file
     * @param config its {@code config.json}, or null when there is none (sizes then come from the tensors)
     * @param vocab its {@code vocab.txt} or {@code tokenizer.json}
     * @param fingerprint SHA-256 of the weights and config.json bytes
     * @param vocabFingerprint SHA-256 of the vocabulary's bytes
     */
    public record Checkpoint(Path weights, Path config, Path vocab, String fingerprint, String vocabFingerprint) {
        /**
         * The files of the checkpoint at {@code path}, a Hugging Face model folder or its weights file
         * with its vocabulary (and config.json) beside it; reads every byte for the fingerprints. Errors name the
         * file and what to give instead.
         */
        public static Checkpoint locate(Path path) throws IOException {
            if (!Files.exists(path)) {
                throw new IOException(path + ": BERT checkpoint not found (a Hugging Face model folder or its "
                        + "model.safetensors)");
            }
            Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
            Path weights = path;
            if (Files.isDirectory(path)) {
                // As transformers looks: safetensors first, else the PyTorch pickle (read without running it).
                weights = path.resolve("model.safetensors");
                if (!Files.isRegularFile(weights) && Files.isRegularFile(path.resolve("pytorch_model.bin"))) {
                    weights = path.resolve("pytorch_model.bin");
                }
            }
            if (!Files.isRegularFile(weights)) {
                throw new IOException(path + ": no model.safetensors or pytorch_model.bin in the BERT checkpoint "
                        + "folder");
            }
            if (!weights.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors")
                    && !PthFile.isPyTorchFile(weights)) {
                throw new IOException(weights + ": a BERT checkpoint must be a .safetensors file or a PyTorch "
                        + "checkpoint (pytorch_model.bin); this file is neither");
            }
            Path vocab = vocabBeside(dir);
            if (vocab == null) {
                throw new IOException(weights + ": no vocab.txt or tokenizer.json beside the BERT checkpoint (in "
                        + dir + "); put the vocabulary of the checkpoint there");
            }
            Path config = Files.isRegularFile(dir.resolve("config.json")) ? dir.resolve("config.json") : null;
            return new Checkpoint(weights, config, vocab, config == null ? digest(weights) : digest(config, weights),
                    digest(vocab));
        }
    }

    /** Loads the checkpoint at {@code path} (see {@link Checkpoint#locate}) into {@code manager}. */
    public static BertTextEncoder load(Path path, NDManager manager) throws IOException {
        return load(Checkpoint.locate(path), manager);
    }

    /** Loads a located checkpoint into {@code manager}, frozen and in eval mode. */
    public static BertTextEncoder load(Checkpoint files, NDManager manager) throws IOException {
        Path weights = files.weights();
        WordPieceTokenizer tokenizer = WordPieceTokenizer.read(files.vocab());
        try {
            boolean pickle = PthFile.isPyTorchFile(weights);
            // A pickle's shapes are known once it is read: it is read once, into a scope the model outlives.
            NDManager early = pickle ? manager.newSubManager() : null;
            Map<String, NDArray> pickled = null;
            Map<String, Shape> shapes;
            try {
                if (pickle) {
                    try (PthFile pth = PthFile.open(weights)) {
                        pickled = pth.readStateDict(early);
                    }
                    shapes = new java.util.LinkedHashMap<>();
                    for (Map.Entry<String, NDArray> e : pickled.entrySet()) {
                        shapes.put(e.getKey(), e.getValue().getShape());
                    }
                } else {
                    shapes = SafetensorsFile.readShapes(weights);
                }
            } catch (IOException | RuntimeException e) {
                if (early != null) {
                    early.close();
                }
                throw e;
            }
            BertConfig config = files.config() != null ? BertConfig.read(files.config()) : inferred(shapes, weights);
            boolean pooler = shapes.keySet().stream().anyMatch(k -> k.endsWith("pooler.dense.weight"));
            BertModel model = new BertModel(manager, config.withPooler(pooler));
            try (NDManager scope = early != null ? early : manager.newSubManager()) {
                Map<String, NDArray> tensors = BertModel.checkpointKeys(pickled != null ? pickled
                        : SafetensorsFile.read(weights, scope).tensors());
                tensors.replaceAll((k, v) -> v.getDataType() == DataType.FLOAT32 ? v : v.toType(DataType.FLOAT32,
                        false));
                model.loadStateDict(tensors, true);
            } catch (StateDictException e) {
                throw new IOException(weights + ": does not fit the BERT of " + (files.config() != null
                        ? files.config() : "its tensor shapes") + ": " + e.getMessage(), e);
            }
            if (tokenizer.vocabSize() > config.vocabSize()) {
                throw new IOException(files.vocab() + ": " + tokenizer.vocabSize() + " pieces, but the checkpoint "
                        + "embeds " + config.vocabSize() + "; give the vocabulary that belongs to " + weights);
            }
            model.eval();
            model.setTrainable(name -> true, false);
            return new BertTextEncoder(model, tokenizer, weights, files.fingerprint());
        } catch (IOException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The vocabulary in a checkpoint folder: {@code vocab.txt} (what the published code reads), else its JSON. */
    public static Path vocabBeside(Path dir) {
        for (String name : new String[] {"vocab.txt", "tokenizer.json"}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        return null;
    }

    /** Without a config.json: sizes from the tensors, one head per 64 channels as every published BERT has. */
    private static BertConfig inferred(Map<String, Shape> shapes, Path file) throws IOException {
        Map<String, Shape> s = new java.util.HashMap<>();
        shapes.forEach((k, v) -> s.put(k.startsWith("bert.") ? k.substring(5) : k, v));
        Shape words = s.get("embeddings.word_embeddings.weight");
        Shape positions = s.get("embeddings.position_embeddings.weight");
        Shape types = s.get("embeddings.token_type_embeddings.weight");
        Shape inter = s.get("encoder.layer.0.intermediate.dense.weight");
        if (words == null || positions == null || types == null || inter == null) {
            throw new IOException(file + ": not a BERT checkpoint (no embeddings.word_embeddings.weight or "
                    + "encoder.layer.0 tensors) and no config.json beside it");
        }
        int layers = 0;
        while (s.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
            layers++;
        }
        int hidden = (int) words.get(1);
        return new BertConfig((int) words.get(0), hidden, layers, Math.max(1, hidden / 64), (int) inter.get(0),
                (int) positions.get(0), (int) types.get(0), 1e-12f, true);
    }

    public BertModel model() {
        return model;
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    /** Width of the embeddings (768 for bert-base). */
    public int width() {
        return model.config().hidden();
    }

    /** See {@link Checkpoint#fingerprint()}. */
    public String fingerprint() {
        return fingerprint;
    }

    public Path weightsFile() {
        return weights;
    }

    /**
     * The {@code last_hidden_state} of a sentence. A sentence longer than the position embedding (with
     * {@code [CLS]} and {@code [SEP]}) is refused: the published code does not truncate, and its BERT then fails.
     */
    public Embeddings encode(String text) {
        WordPieceTokenizer.Tokens t = tokenizer.encode(text);
        int max = model.config().maxPositions();
        if (t.length() > max) {
            throw new IllegalArgumentException("the text is " + t.length() + " word pieces with [CLS] and [SEP], "
                    + "but this BERT has " + max + " positions; shorten it (the published code does not truncate)");
        }
        NDManager owner = model.namedParameters().values().iterator().next().data().getManager();
        try (NDManager scope = owner.newSubManager()) {
            NDArray ids = scope.create(t.ids(), new Shape(1, t.length()));
            float[] v = NoGradient.run(() -> model.forward(ids).toType(DataType.FLOAT32, false).toFloatArray());
            return new Embeddings(v, t.length(), width(), t);
        }
    }

    /** SHA-256 over the files' bytes, streamed (a bert-base checkpoint is 440 MB). */
    static String digest(Path... files) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (Path f : files) {
                // Each file's length first, so two files cannot run into one another; the names do not count.
                md.update((Files.size(f) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
                    while (in.read(buf) >= 0) {
                        // the digest sees every byte read
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
