package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes Florence-2's answer for one image and prompt as transformers' {@code generate} does for this checkpoint:
 * the encoder runs once; greedy search takes the arg-max of the processed logits, beam search keeps
 * {@code numBeams} sequences by summed log-probability and collects finished ones as transformers'
 * {@code BeamSearchScorer} does (candidates ending in {@code </s>} from the top {@code numBeams} ranks only, scores
 * divided by the generated length, early stopping). The logits processors run in transformers' order: no repeated
 * n-grams, then the forced first and last tokens. Generation keeps the decoder's keys and values
 * ({@link DecoderCache}), so each step runs the decoder on the newest token only; {@link #nextScores} reruns it
 * over a whole prefix, which the cached steps must agree with.
 */
public final class Florence2Generator {
    private final Florence2 model;
    private final GenerationConfig config;

    public Florence2Generator(Florence2 model, GenerationConfig config) {
        this.model = model;
        this.config = config;
    }

    /** The generated ids, start token first, for an image {@code [1, 3, H, W]} and prompt ids {@code [1, L]}. */
    public long[] generate(NDArray pixels, NDArray inputIds) {
        try (NDManager scope = pixels.getManager().newSubManager()) {
            // Copies in the scope's manager, so every activation is built there and freed with it.
            NDArray px = scope.create(pixels.toFloatArray(), pixels.getShape());
            NDArray ids = scope.create(inputIds.toLongArray(), inputIds.getShape());
            NDArray encoder = encode(px, ids, scope);
            return config.numBeams() == 1 ? greedy(encoder) : beam(encoder);
        }
    }

    /** The encoder's last hidden state {@code [1, S, D]} for an image and prompt. */
    public NDArray encode(NDArray pixels, NDArray inputIds, NDManager scope) {
        NDArray image = model.encodeImage(pixels);
        NDArray embeds = model.encoderInput(image, model.embedTokens(inputIds));
        NDArray states = model.languageModel().model().encoder().forward(embeds, null);
        states.attach(scope);
        return states;
    }

    /**
     * The processed scores of the next token after {@code prefix} (start token first): raw logits for greedy
     * search, log-probabilities for beam search, each through the logits processors.
     */
    public float[] nextScores(NDArray encoder, long[] prefix, boolean logProbabilities) {
        return nextScores(encoder, List.of(prefix), logProbabilities)[0];
    }

    private float[][] nextScores(NDArray encoder, List<long[]> prefixes, boolean logProbabilities) {
        int k = prefixes.size();
        int t = prefixes.get(0).length;
        try (NDManager step = encoder.getManager().newSubManager()) {
            long[] flat = new long[k * t];
            for (int i = 0; i < k; i++) {
                System.arraycopy(prefixes.get(i), 0, flat, i * t, t);
            }
            NDArray ids = step.create(flat, new Shape(k, t));
            NDArray enc = k == 1 ? encoder : encoder.repeat(0, k);
            NDArray hidden = model.languageModel().model().decoder().forward(ids, enc, null);
            NDArray last = model.languageModel().logits(hidden.get(":, -1:, :")).reshape(k, -1);
            if (logProbabilities) {
                last = last.logSoftmax(-1);
            }
            float[] all = last.toFloatArray();
            int v = all.length / k;
            float[][] out = new float[k][];
            for (int i = 0; i < k; i++) {
                out[i] = Arrays.copyOfRange(all, i * v, (i + 1) * v);
                process(prefixes.get(i), out[i]);
            }
            return out;
        }
    }

    /** transformers' NoRepeatNGram, ForcedBOS and ForcedEOS processors, in that order, on one sequence. */
    private void process(long[] prefix, float[] scores) {
        int curLen = prefix.length;
        int n = config.noRepeatNgramSize();
        if (n > 0 && curLen + 1 >= n) {
            Map<List<Long>, List<Long>> seen = new HashMap<>();
            for (int i = 0; i + n <= curLen; i++) {
                List<Long> head = new ArrayList<>();
                for (int j = 0; j < n - 1; j++) {
                    head.add(prefix[i + j]);
                }
                seen.computeIfAbsent(head, h -> new ArrayList<>()).add(prefix[i + n - 1]);
            }
            List<Long> tail = new ArrayList<>();
            for (int j = curLen - n + 1; j < curLen; j++) {
                tail.add(prefix[j]);
            }
            for (long banned : seen.getOrDefault(tail, List.of())) {
                scores[(int) banned] = Float.NEGATIVE_INFINITY;
            }
        }
        if (config.forcedBosTokenId() >= 0 && curLen == 1) {
            force(scores, config.forcedBosTokenId());
        }
        if (config.forcedEosTokenId() >= 0 && curLen == config.maxLength() - 1) {
            force(scores, config.forcedEosTokenId());
        }
    }

    private static void force(float[] scores, int token) {
        Arrays.fill(scores, Float.NEGATIVE_INFINITY);
        scores[token] = 0f;
    }

    private long[] greedy(NDArray encoder) {
        long[] seq = {config.decoderStartTokenId()};
        DecoderCache cache = newCache();
        while (seq.length < config.maxLength()) {
            float[] s = cachedScores(encoder, cache, List.of(seq), false)[0];
            int best = 0;
            for (int i = 1; i < s.length; i++) {
                if (s[i] > s[best]) {
                    best = i;
                }
            }
            seq = append(seq, best);
            if (best == config.eosTokenId()) {
                break;
            }
        }
        return seq;
    }

    private DecoderCache newCache() {
        return new DecoderCache(model.languageModel().config().decoderLayers());
    }

    /**
     * The processed scores after each prefix, running the decoder on the prefixes' last tokens only: the cache
     * holds everything before them and is extended.
     */
    private float[][] cachedScores(NDArray encoder, DecoderCache cache, List<long[]> prefixes,
            boolean logProbabilities) {
        int k = prefixes.size();
        NDManager scope = encoder.getManager();
        try (NDManager step = scope.newSubManager()) {
            long past = cache.length();
            int t = Math.toIntExact(prefixes.get(0).length - past);
            long[] flat = new long[k * t];
            for (int i = 0; i < k; i++) {
                System.arraycopy(prefixes.get(i), (int) past, flat, i * t, t);
            }
            NDArray ids = step.create(flat, new Shape(k, t));
            NDArray enc = encoder;
            if (k > 1 && past == 0) {
                // Only the first step projects the encoder's states for cross-attention; later ones use the cache.
                enc = encoder.repeat(0, k);
                enc.attach(step);
            }
            NDArray hidden = model.languageModel().model().decoder().forwardCached(ids, enc, null, cache);
            cache.keepIn(scope);
            NDArray last = model.languageModel().logits(hidden.get(":, -1:, :")).reshape(k, -1);
            if (logProbabilities) {
                last = last.logSoftmax(-1);
            }
            float[] all = last.toFloatArray();
            int v = all.length / k;
            float[][] out = new float[k][];
            for (int i = 0; i < k; i++) {
                out[i] = Arrays.copyOfRange(all, i * v, (i + 1) * v);
                process(prefixes.get(i), out[i]);
            }
            return out;
        }
    }

    private long[] beam(NDArray encoder) {
        int k = config.numBeams();
        List<long[]> beams = new ArrayList<>();
        float[] beamScores = new float[k];
        for (int b = 0; b < k; b++) {
            beams.add(new long[] {config.decoderStartTokenId()});
            // Only the first of the identical starting beams may expand, as transformers sets the others to -1e9.
            beamScores[b] = b == 0 ? 0f : -1e9f;
        }
        Finished finished = new Finished(k, config.lengthPenalty(), config.earlyStopping());
        DecoderCache cache = newCache();
        boolean done = false;
        while (true) {
            int curLen = beams.get(0).length;
            float[][] scores = cachedScores(encoder, cache, beams, true);
            int v = scores[0].length;
            int keep = 2 * k;
            float[] topScore = new float[keep];
            int[] topIndex = new int[keep];
            Arrays.fill(topScore, Float.NEGATIVE_INFINITY);
            Arrays.fill(topIndex, -1);
            for (int b = 0; b < k; b++) {
                for (int i = 0; i < v; i++) {
                    float s = scores[b][i] + beamScores[b];
                    int slot = keep;
                    while (slot > 0 && (s > topScore[slot - 1] || topIndex[slot - 1] < 0)) {
                        slot--;
                    }
                    if (slot < keep) {
                        System.arraycopy(topScore, slot, topScore, slot + 1, keep - slot - 1);
                        System.arraycopy(topIndex, slot, topIndex, slot + 1, keep - slot - 1);
                        topScore[slot] = s;
                        topIndex[slot] = b * v + i;
                    }
                }
            }
            List<long[]> next = new ArrayList<>();
            float[] nextScores = new float[k];
            long[] sources = new long[k];
            for (int rank = 0; rank < keep && next.size() < k; rank++) {
                int token = topIndex[rank] % v;
                int source = topIndex[rank] / v;
                if (token == config.eosTokenId()) {
                    if (rank < k) {
                        finished.add(beams.get(source), topScore[rank], curLen - 1);
                    }
                } else {
                    nextScores[next.size()] = topScore[rank];
                    sources[next.size()] = source;
                    next.add(append(beams.get(source), token));
                }
            }
            cache.reorder(sources, encoder.getManager());
            done = done || finished.isDone(topScore[0], curLen);
            beams = next;
            beamScores = nextScores;
            if (done || beams.get(0).length >= config.maxLength()) {
                break;
            }
        }
        if (!done) {
            for (int b = 0; b < k; b++) {
                finished.add(beams.get(b), beamScores[b], beams.get(b).length - 1);
            }
        }
        long[] best = finished.best();
        return best.length < config.maxLength() ? append(best, config.eosTokenId()) : best;
    }

    private static long[] append(long[] seq, long token) {
        long[] out = Arrays.copyOf(seq, seq.length + 1);
        out[seq.length] = token;
        return out;
    }

    /** transformers' {@code BeamHypotheses}: the best {@code size} finished sequences by length-normalised score. */
    private static final class Finished {
        private final int size;
        private final float lengthPenalty;
        private final boolean earlyStopping;
        private final List<long[]> sequences = new ArrayList<>();
        private final List<Double> scores = new ArrayList<>();
        private double worst = 1e9;

        Finished(int size, float lengthPenalty, boolean earlyStopping) {
            this.size = size;
            this.lengthPenalty = lengthPenalty;
            this.earlyStopping = earlyStopping;
        }

        void add(long[] sequence, float sumLogProbs, int generatedLength) {
            double score = sumLogProbs / Math.pow(generatedLength, lengthPenalty);
            if (sequences.size() < size || score > worst) {
                sequences.add(sequence);
                scores.add(score);
                if (sequences.size() > size) {
                    int worstAt = 0;
                    for (int i = 1; i < scores.size(); i++) {
                        if (scores.get(i) < scores.get(worstAt)) {
                            worstAt = i;
                        }
                    }
                    sequences.remove(worstAt);
                    scores.remove(worstAt);
                    worst = scores.stream().mapToDouble(Double::doubleValue).min().orElse(1e9);
                } else {
                    worst = Math.min(score, worst);
                }
            }
        }

        boolean isDone(float bestSumLogProbs, int curLen) {
            if (sequences.size() < size) {
                return false;
            }
            if (earlyStopping) {
                return true;
            }
            double highest = bestSumLogProbs / Math.pow(curLen - 1, lengthPenalty);
            return worst >= highest;
        }

        /** The highest score; among equal scores the last added, as a stable sort then pop picks. */
        long[] best() {
            int at = 0;
            for (int i = 1; i < scores.size(); i++) {
                if (scores.get(i) >= scores.get(at)) {
                    at = i;
                }
            }
            return sequences.get(at);
        }
    }
}
