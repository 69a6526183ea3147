package ai.peft4j.infer.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph as plain data: nodes in topological order, constant tensors, inputs and outputs. The exporter
 * builds one, graph passes (BatchNorm folding, quantisation) rewrite it, and {@link OnnxWriter} encodes it.
 */
public final class OnnxGraph {
    private final String name;
    private final List<OnnxNode> nodes = new ArrayList<>();
    private final Map<String, Initializer> initializers = new LinkedHashMap<>();
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final Map<String, Integer> used = new HashMap<>();

    public OnnxGraph(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** A name not given out before, built from {@code hint}. */
    public String unique(String hint) {
        String base = hint.isEmpty() ? "t" : hint;
        int n = used.merge(base, 1, Integer::sum);
        return n == 1 ? base : base + "_" + (n - 1);
    }

    public void addInput(ValueInfo v) {
        used.merge(v.name(), 1, Integer::sum);
        inputs.add(v);
    }

    public void addOutput(ValueInfo v) {
        outputs.add(v);
    }

    /** Adds a constant under a fresh name derived from its own; returns that name. */
    public String addInitializer(Initializer init) {
        String n = unique(init.name());
        initializers.put(n, new Initializer(n, init.type(), init.dims(), init.raw()));
        return n;
    }

    /** Replaces the data of an existing constant (same name). */
    public void putInitializer(Initializer init) {
        initializers.put(init.name(), init);
    }

    public void removeInitializer(String n) {
        initializers.remove(n);
    }

    public String floats(String hint, float[] values, long... dims) {
        return addInitializer(Initializer.ofFloats(hint, values, dims));
    }

    public String longs(String hint, long... values) {
        return addInitializer(Initializer.ofLongs(hint, values, values.length));
    }

    /** Appends a node with one fresh output; returns the output's name. */
    public String node(String opType, String hint, Map<String, Object> attributes, String... inputs) {
        String out = unique(hint);
        nodes.add(new OnnxNode(opType, out, Arrays.asList(inputs), List.of(out), attributes));
        return out;
    }

    public void addNode(OnnxNode node) {
        nodes.add(node);
    }

    /** The live node list, for graph passes that rewrite it. */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    public Map<String, Initializer> initializers() {
        return initializers;
    }

    public Initializer initializer(String n) {
        return initializers.get(n);
    }

    public List<ValueInfo> inputs() {
        return inputs;
    }

    public List<ValueInfo> outputs() {
        return outputs;
    }

    /** For every tensor name, the nodes that read it. */
    public Map<String, List<OnnxNode>> consumers() {
        Map<String, List<OnnxNode>> out = new HashMap<>();
        for (OnnxNode n : nodes) {
            for (String in : n.inputs()) {
                if (!in.isEmpty()) {
                    out.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }
        return out;
    }

    /** For every tensor name a node writes, that node. */
    public Map<String, OnnxNode> producers() {
        Map<String, OnnxNode> out = new HashMap<>();
        for (OnnxNode n : nodes) {
            for (String o : n.outputs()) {
                out.put(o, n);
            }
        }
        return out;
    }

    public boolean isOutput(String tensor) {
        return outputs.stream().anyMatch(o -> o.name().equals(tensor));
    }

    /** A copy whose node list and constant map can be rewritten without touching this graph. */
    public OnnxGraph copy() {
        OnnxGraph g = new OnnxGraph(name);
        g.nodes.addAll(nodes);
        g.initializers.putAll(initializers);
        g.inputs.addAll(inputs);
        g.outputs.addAll(outputs);
        g.used.putAll(used);
        return g;
    }

    /** Counts of each operator, for reports and tests. */
    public Map<String, Integer> opCounts() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        for (OnnxNode n : nodes) {
            out.merge(n.opType(), 1, Integer::sum);
        }
        return out;
    }
}
