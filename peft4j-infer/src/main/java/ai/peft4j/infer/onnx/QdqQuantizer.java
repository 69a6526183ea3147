package ai.peft4j.infer.onnx;

import ai.peft4j.core.progress.ProgressBar;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Static int8 quantisation of an exported graph in ONNX's QDQ form, which ONNX Runtime's Java package cannot do
 * itself: every Conv (and MatMul with a constant right-hand side) gets int8 weights, symmetric per output channel,
 * and int32 biases at scale {@code s_x * s_w}; its input and output activations get uint8 QuantizeLinear /
 * DequantizeLinear pairs with scales from a calibration pass. That is the U8S8 pattern ONNX Runtime fuses into
 * QLinearConv / QLinearMatMul on x86 CPUs. A ReLU that alone follows a convolution is folded into the output
 * quantisation (its range starts at 0 with zero point 0, so the quantiser clamps as the ReLU would).
 *
 * <p>With {@link Builder#optAgreement} the quantiser also chooses which operators stay in float: it measures how
 * far each one alone, quantised, moves the predicted classes on the calibration images, and keeps the worst in
 * float, as few as it takes for the int8 graph's class maps to agree with the float graph's to the given mIoU.
 *
 * <pre>{@code
 * OnnxGraph int8 = QdqQuantizer.builder().setCalibration(images, 224, 224).build().quantize(fp32);
 * }</pre>
 */
public final class QdqQuantizer {
    private final List<float[]> images;
    private final long[] imageShape;
    private final ActivationRanges.Method method;
    private final double percentile;
    private final Predicate<OnnxNode> exclude;
    private final int threads;
    /** Largest weight magnitude after quantisation: 127, or 63 for 7-bit weights. */
    private final int weightLimit;
    /** uint8 weights around a zero point of 128 instead of int8 around 0. */
    private final boolean unsignedWeights;
    private final double agreement;
    private final PrintStream progress;

    /**
     * A quantised graph, the operators left in float to keep its accuracy (by node name), the mIoU of its class
     * maps against the float graph's on the calibration images (NaN where not measured), and where the sensitivity
     * scan ran, each operator's agreement when it alone is quantised, worst first.
     */
    public record Quantised(OnnxGraph graph, List<String> keptFloat, double agreement,
            Map<String, Double> sensitivity) {}

    private QdqQuantizer(Builder b) {
        this.images = List.copyOf(b.images);
        this.imageShape = new long[] {1, 3, b.height, b.width};
        this.method = b.percentile > 0 ? ActivationRanges.Method.PERCENTILE : ActivationRanges.Method.MIN_MAX;
        this.percentile = b.percentile;
        this.exclude = b.exclude;
        this.threads = b.threads;
        this.weightLimit = (1 << (b.weightBits - 1)) - 1;
        this.unsignedWeights = b.unsignedWeights;
        this.agreement = b.agreement;
        this.progress = b.progress;
    }

    /**
     * True where ONNX Runtime's uint8 x int8 kernels can saturate: x86 CPUs with AVX2 but without VNNI sum pairs
     * of products into int16 ({@code vpmaddubsw}), so large activations times large weights clip. There 7-bit
     * weights (ONNX Runtime's {@code reduce_range}) keep every pair sum in range. Read once from /proc/cpuinfo;
     * false where it cannot be read.
     */
    public static boolean int8MaySaturate() {
        return CpuFlags.SATURATES;
    }

    /** The CPU does not change while the JVM runs: /proc/cpuinfo is read on first use only. */
    private static final class CpuFlags {
        static final boolean SATURATES = readSaturates();
    }

    private static boolean readSaturates() {
        String arch = System.getProperty("os.arch", "");
        if (!(arch.equals("amd64") || arch.equals("x86_64"))) {
            return false;
        }
        try {
            String info = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
            return !(info.contains(" avx512_vnni") || info.contains(" avx_vnni") || info.contains(" amx_int8"));
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Depth-wise convolutions (groups > 1): memory-bound, so int8 gains little on them while their quantisers
     * cost conversions; a candidate for {@link Builder#optExclude}.
     */
    public static Predicate<OnnxNode> depthwise() {
        return n -> n.opType().equals("Conv") && ((Number) n.attributes().getOrDefault("group", 1L)).longValue() > 1;
    }

    /**
     * Operators of the modules under any of {@code modulePaths} (node names follow module paths, so
     * {@code cnn_up} takes the classifier's last convolutions): layers whose int8 error costs the most accuracy.
     */
    public static Predicate<OnnxNode> under(List<String> modulePaths) {
        List<String> paths = List.copyOf(modulePaths);
        return n -> paths.stream().anyMatch(p -> n.name().equals(p) || n.name().startsWith(p + ".")
                || n.name().startsWith(p + "/"));
    }

    /** One operator to quantise: its weight input and the tensors whose ranges it needs. */
    private record Target(OnnxNode node, String input, String output, OnnxNode fusedRelu, int weightAxis) {}

    /** Returns a new graph; {@code fp32} is left as it was. */
    public OnnxGraph quantize(OnnxGraph fp32) {
        return quantizeDetailed(fp32).graph();
    }

    /** As {@link #quantize}, with what was left in float and how well the result agrees with the float graph. */
    public Quantised quantizeDetailed(OnnxGraph fp32) {
        Map<String, List<OnnxNode>> consumers = fp32.consumers();
        List<Target> targets = new ArrayList<>();
        for (OnnxNode n : fp32.nodes()) {
            boolean conv = n.opType().equals("Conv");
            boolean matMul = n.opType().equals("MatMul");
            if (!(conv || matMul) || exclude.test(n) || fp32.initializer(n.inputs().get(1)) == null
                    || fp32.initializer(n.inputs().get(0)) != null) {
                continue;
            }
            if (matMul && fp32.initializer(n.inputs().get(1)).dims().length != 2) {
                continue;
            }
            String out = n.output();
            List<OnnxNode> readers = consumers.getOrDefault(out, List.of());
            OnnxNode relu = readers.size() == 1 && readers.get(0).opType().equals("Relu") && !fp32.isOutput(out)
                    ? readers.get(0) : null;
            targets.add(new Target(n, n.inputs().get(0), relu == null ? out : relu.output(), relu, conv ? 0 : 1));
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("graph " + fp32.name() + " has no Conv or MatMul with constant "
                    + "weights to quantise");
        }
        Set<String> observed = new LinkedHashSet<>();
        for (Target t : targets) {
            observed.add(t.input());
            observed.add(t.output());
        }
        Map<String, ActivationRanges.Range> ranges = ActivationRanges.observe(fp32, observed, images, imageShape,
                method, percentile, threads);
        if (agreement <= 0) {
            return new Quantised(rewrite(fp32, targets, ranges), List.of(), Double.NaN, Map.of());
        }
        return keepAccuracy(fp32, targets, ranges);
    }

    /**
     * Ranks the operators by how far each alone, quantised, moves the class maps from the float graph's, then finds
     * by bisection the fewest of the worst to keep in float for the whole graph to reach {@link #agreement}.
     * Bisection assumes that keeping more in float never hurts; the answer is always one that was measured to
     * pass (or the float graph itself).
     */
    private Quantised keepAccuracy(OnnxGraph fp32, List<Target> targets,
            Map<String, ActivationRanges.Range> ranges) {
        ClassMaps reference = ClassMaps.of(fp32, images, imageShape, threads);
        OnnxGraph allInt8 = rewrite(fp32, targets, ranges);
        double all = reference.agreement(allInt8);
        if (all >= agreement) {
            return new Quantised(allInt8, List.of(), all, Map.of());
        }
        int n = targets.size();
        double[] alone = new double[n];
        try (ProgressBar bar = progress == null ? null
                : new ProgressBar(progress, "int8 sensitivity", n,
                        ProgressBar.isTerminal())) {
            for (int i = 0; i < n; i++) {
                alone[i] = reference.agreement(rewrite(fp32, List.of(targets.get(i)), ranges));
                if (bar != null) {
                    bar.update(i + 1, String.format(Locale.ROOT, "all int8: %.2f%% agreement", 100 * all));
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(alone[a], alone[b]));
        int lo = 0;
        int hi = n;
        double atHi = 1.0;
        OnnxGraph passing = null;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            OnnxGraph candidate = rewrite(fp32, quantisedPart(targets, order, mid), ranges);
            double a = reference.agreement(candidate);
            if (a >= agreement) {
                hi = mid;
                atHi = a;
                passing = candidate;
            } else {
                lo = mid;
            }
        }
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < hi; i++) {
            kept.add(targets.get(order[i]).node().name());
        }
        Map<String, Double> sensitivity = new LinkedHashMap<>();
        for (Integer i : order) {
            sensitivity.put(targets.get(i).node().name(), alone[i]);
        }
        // With every operator kept in float (hi = n, never measured) the graph is rewritten once more, int8-free.
        OnnxGraph result = passing != null ? passing : rewrite(fp32, quantisedPart(targets, order, hi), ranges);
        return new Quantised(result, kept, atHi, sensitivity);
    }

    /** The targets without the first {@code keep} of {@code order} (the ones left in float). */
    private static List<Target> quantisedPart(List<Target> targets, Integer[] order, int keep) {
        Set<Integer> skip = new HashSet<>(List.of(order).subList(0, keep));
        List<Target> out = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            if (!skip.contains(i)) {
                out.add(targets.get(i));
            }
        }
        return out;
    }

    private OnnxGraph rewrite(OnnxGraph src, List<Target> targets, Map<String, ActivationRanges.Range> ranges) {
        OnnxGraph g = src.copy();
        Map<String, Target> byNode = new HashMap<>();
        Set<OnnxNode> dropped = new HashSet<>();
        Set<String> quantisedOutputs = new HashSet<>();
        for (Target t : targets) {
            byNode.put(t.node().name(), t);
            if (t.fusedRelu() != null) {
                // The Conv now writes the ReLU's tensor; the clamp comes from the quantiser.
                dropped.add(t.fusedRelu());
            }
            quantisedOutputs.add(t.output());
        }
        // Activation quantisers: one QuantizeLinear per tensor, right after its producer (or at the start).
        Map<String, String[]> qParams = new HashMap<>();
        Map<String, String> floatCopies = new HashMap<>();
        List<OnnxNode> out = new ArrayList<>();
        Set<String> needed = new LinkedHashSet<>();
        for (Target t : targets) {
            needed.add(t.input());
            needed.add(t.output());
        }
        for (String input : needed) {
            if (g.inputs().stream().anyMatch(v -> v.name().equals(input))) {
                out.addAll(quantiser(g, input, ranges.get(input), qParams));
            }
        }
        for (OnnxNode n : src.nodes()) {
            if (dropped.contains(n)) {
                continue;
            }
            Target t = byNode.get(n.name());
            OnnxNode node = n;
            if (t != null) {
                String[] xq = qParams.get(t.input());
                String x = dequantiser(g, out, t.input(), xq);
                String bias = n.inputs().size() > 2 ? n.inputs().get(2) : null;
                float[] minScale = bias == null ? null
                        : biasFloor(g.initializer(bias).floats(), g.initializer(xq[1]).floats()[0]);
                QuantisedWeight w = quantiseWeight(g, out, n, t.weightAxis(), minScale, weightLimit,
                        unsignedWeights);
                List<String> inputs = new ArrayList<>(List.of(x, w.tensor()));
                if (bias != null) {
                    inputs.add(quantiseBias(g, out, bias, xq[1], w.scale()));
                }
                node = n.withInputs(inputs).withOutputs(List.of(t.output()));
            } else {
                List<String> inputs = new ArrayList<>();
                for (String in : n.inputs()) {
                    // A quantised operator's output exists only as its quantised form (so that ONNX Runtime can
                    // fuse the Q into the operator); its float readers share one dequantised copy (quantised
                    // readers each get their own, as ONNX Runtime's fusion wants).
                    inputs.add(quantisedOutputs.contains(in)
                            ? floatCopies.computeIfAbsent(in, k -> dequantiser(g, out, k, qParams.get(k))) : in);
                }
                node = n.withInputs(inputs);
            }
            out.add(node);
            for (String o : node.outputs()) {
                if (needed.contains(o)) {
                    out.addAll(quantiser(g, o, ranges.get(o), qParams));
                }
            }
        }
        g.nodes().clear();
        g.nodes().addAll(out);
        for (Target t : targets) {
            g.removeInitializer(t.node().inputs().get(1));
            if (t.node().inputs().size() > 2) {
                g.removeInitializer(t.node().inputs().get(2));
            }
        }
        return g;
    }

    /** {@code QuantizeLinear} of a tensor to uint8 with its calibrated range (widened to hold 0). */
    private static List<OnnxNode> quantiser(OnnxGraph g, String tensor, ActivationRanges.Range r,
            Map<String, String[]> qParams) {
        if (r == null) {
            throw new IllegalStateException("no calibrated range for " + tensor);
        }
        double lo = Math.min(0, r.min());
        double hi = Math.max(0, r.max());
        double scale = hi > lo ? (hi - lo) / 255.0 : 1.0;
        int zp = (int) Math.max(0, Math.min(255, Math.round(-lo / scale)));
        String s = g.addInitializer(Initializer.ofFloats(tensor + "/scale", new float[] {(float) scale}));
        String z = g.addInitializer(Initializer.ofBytes(tensor + "/zero_point", ElementType.UINT8,
                new byte[] {(byte) zp}));
        String q = g.unique(tensor + "/quantized");
        qParams.put(tensor, new String[] {q, s, z});
        return List.of(new OnnxNode("QuantizeLinear", g.unique(tensor + "/Q"), List.of(tensor, s, z), List.of(q),
                Map.of()));
    }

    /** A fresh DequantizeLinear of a quantised tensor (one per reader, as ONNX Runtime's fusion wants). */
    private static String dequantiser(OnnxGraph g, List<OnnxNode> out, String tensor, String[] q) {
        String dq = g.unique(tensor + "/dequantized");
        out.add(new OnnxNode("DequantizeLinear", g.unique(tensor + "/DQ"), List.of(q[0], q[1], q[2]), List.of(dq),
                Map.of()));
        return dq;
    }

    /** Largest int32 bias, with room for the products the convolution adds to it. */
    private static final double BIAS_LIMIT = 1 << 30;

    /**
     * Smallest weight scale per channel at which the bias still fits int32 at scale {@code s_x * s_w}. BatchNorm
     * folding leaves channels with near-zero weights but a real bias (a trained network's switched-off channels);
     * at {@code max|w| / 127} their bias would overflow and be clamped to almost nothing.
     */
    private static float[] biasFloor(float[] bias, float inputScale) {
        float[] floor = new float[bias.length];
        for (int c = 0; c < bias.length; c++) {
            floor[c] = (float) (Math.abs(bias[c]) / (inputScale * BIAS_LIMIT));
        }
        return floor;
    }

    /**
     * int8 weights, symmetric per output channel ({@code axis}): {@code w_q = round(w / s)},
     * {@code s = max|w| / limit} (127, or 63 for 7-bit weights), at least {@code minScale[c]} where given.
     */
    private static QuantisedWeight quantiseWeight(OnnxGraph g, List<OnnxNode> out, OnnxNode node, int axis,
            float[] minScale, int limit, boolean unsigned) {
        Initializer w = g.initializer(node.inputs().get(1));
        float[] v = w.floats();
        long[] dims = w.dims();
        int channels = (int) dims[axis];
        // Element i belongs to channel (i / inner) % channels for a row-major tensor.
        long inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= dims[d];
        }
        float[] max = new float[channels];
        for (int i = 0; i < v.length; i++) {
            int c = (int) ((i / inner) % channels);
            max[c] = Math.max(max[c], Math.abs(v[i]));
        }
        float[] scale = new float[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = max[c] > 0 ? max[c] / limit : 1f;
            if (minScale != null && minScale[c] > scale[c]) {
                scale[c] = minScale[c];
            }
        }
        // uint8 weights are the int8 ones shifted by the zero point 128 (the same for every channel, as
        // ONNX Runtime's QLinearConv requires).
        int zero = unsigned ? 128 : 0;
        ElementType type = unsigned ? ElementType.UINT8 : ElementType.INT8;
        byte[] q = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = (int) ((i / inner) % channels);
            q[i] = (byte) (zero + Math.max(-limit, Math.min(limit, Math.round(v[i] / scale[c]))));
        }
        byte[] zeros = new byte[channels];
        Arrays.fill(zeros, (byte) zero);
        String qw = g.addInitializer(Initializer.ofBytes(w.name() + "/int8", type, q, dims));
        String s = g.addInitializer(Initializer.ofFloats(w.name() + "/scale", scale, channels));
        String z = g.addInitializer(Initializer.ofBytes(w.name() + "/zero_point", type, zeros, channels));
        String dq = g.unique(w.name() + "/dequantized");
        out.add(new OnnxNode("DequantizeLinear", g.unique(w.name() + "/DQ"), List.of(qw, s, z), List.of(dq),
                Map.of("axis", (long) axis)));
        return new QuantisedWeight(dq, scale);
    }

    /** The dequantised weight tensor and its per-channel scales. */
    private record QuantisedWeight(String tensor, float[] scale) {}

    /** int32 bias at scale {@code s_x * s_w[c]} with zero point 0, as QLinearConv takes it. */
    private static String quantiseBias(OnnxGraph g, List<OnnxNode> out, String bias, String inputScale,
            float[] sw) {
        float[] b = g.initializer(bias).floats();
        float sx = g.initializer(inputScale).floats()[0];
        float[] scale = new float[b.length];
        int[] q = new int[b.length];
        for (int c = 0; c < b.length; c++) {
            scale[c] = sx * sw[c];
            q[c] = (int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, Math.round((double) b[c]
                    / scale[c])));
        }
        String qb = g.addInitializer(Initializer.ofInts(bias + "/int32", q, b.length));
        String s = g.addInitializer(Initializer.ofFloats(bias + "/scale", scale, b.length));
        String z = g.addInitializer(Initializer.ofInts(bias + "/zero_point", new int[b.length], b.length));
        String dq = g.unique(bias + "/dequantized");
        out.add(new OnnxNode("DequantizeLinear", g.unique(bias + "/DQ"), List.of(qb, s, z), List.of(dq),
                Map.of("axis", 0L)));
        return dq;
    }

    /** Builder: calibration images are required. */
    public static final class Builder {
        private List<float[]> images = List.of();
        private int height;
        private int width;
        private double percentile;
        private Predicate<OnnxNode> exclude = node -> false;
        private int threads;
        private int weightBits = int8MaySaturate() ? 7 : 8;
        private double agreement;
        private PrintStream progress;
        private boolean unsignedWeights;

        private Builder() {}

        /**
         * 8-bit weights stored as uint8 around a zero point of 128 (ONNX Runtime's U8U8 kernels): they never
         * saturate, so no bit is given up on CPUs without VNNI, at some cost in speed there. Sets 8-bit weights.
         */
        public Builder optUnsignedWeights(boolean unsigned) {
            this.unsignedWeights = unsigned;
            if (unsigned) {
                this.weightBits = 8;
            }
            return this;
        }

        /**
         * Keeps in float, worst first, the operators whose int8 error moves the predicted classes most, until the
         * int8 graph's class maps agree with the float graph's on the calibration images to at least this mIoU
         * (in (0, 1], e.g. 0.995). Costs one calibration-sized run per operator. 0 (default): quantise all.
         */
        public Builder optAgreement(double miou) {
            if (miou < 0 || miou > 1) {
                throw new IllegalArgumentException("agreement is an mIoU in [0, 1], got " + miou);
            }
            this.agreement = miou;
            return this;
        }

        /** Where the sensitivity scan of {@link #optAgreement} draws its progress bar (default: nowhere). */
        public Builder optProgress(PrintStream out) {
            this.progress = out;
            return this;
        }

        /**
         * 8-bit weights, or 7 (ONNX Runtime's {@code reduce_range}) for CPUs whose int8 kernels saturate; the
         * default is 7 where {@link #int8MaySaturate()} says so, else 8.
         */
        public Builder optWeightBits(int bits) {
            if (bits != 7 && bits != 8) {
                throw new IllegalArgumentException("weights take 7 or 8 bits, got " + bits);
            }
            this.weightBits = bits;
            return this;
        }

        /** The weight width {@link #build()} will use. */
        public int weightBits() {
            return weightBits;
        }

        /** Calibration images, each {@code [3, height, width]} flattened and normalised as the model expects. */
        public Builder setCalibration(List<float[]> images, int height, int width) {
            this.images = images;
            this.height = height;
            this.width = width;
            return this;
        }

        /** Ranges from the {@code 100-p} / {@code p} percentiles per image instead of min / max (e.g. 99.99). */
        public Builder optPercentile(double p) {
            if (p <= 50 || p > 100) {
                throw new IllegalArgumentException("percentile must be in (50, 100], got " + p);
            }
            this.percentile = p;
            return this;
        }

        /** Leaves the operators the predicate accepts in float (see {@link #depthwise()}). */
        public Builder optExclude(Predicate<OnnxNode> nodes) {
            this.exclude = nodes;
            return this;
        }

        /** Threads of the calibration runs (0: ONNX Runtime's choice). */
        public Builder optThreads(int threads) {
            this.threads = threads;
            return this;
        }

        public QdqQuantizer build() {
            if (images.isEmpty()) {
                throw new IllegalArgumentException("at least one calibration image is required");
            }
            long expected = 3L * height * width;
            for (float[] im : images) {
                if (im.length != expected) {
                    throw new IllegalArgumentException("calibration image of " + im.length + " values, expected "
                            + "3x" + height + "x" + width);
                }
            }
            return new QdqQuantizer(this);
        }
    }
}
