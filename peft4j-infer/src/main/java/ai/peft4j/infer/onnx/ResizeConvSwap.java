package ai.peft4j.infer.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a 1x1 convolution that follows a linear (or nearest) Resize before the Resize instead, where it narrows
 * the channels. Both are linear and act on different axes (a 1x1 convolution mixes channels per pixel, a Resize
 * mixes pixels per channel with weights that sum to one, so the bias passes through), so the result is the same
 * up to rounding while the Resize moves fewer channels and the convolution sees fewer pixels. FastSegFormer's
 * last layers enlarge 32 maps to 224x224 and then map them to the classes: swapped, ONNX Runtime spends a tenth
 * of the time there.
 */
final class ResizeConvSwap {
    private ResizeConvSwap() {}

    /** Swaps every such pair in place; returns how many were swapped. */
    static int apply(OnnxGraph g) {
        int swapped = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<String, List<OnnxNode>> consumers = g.consumers();
            Map<String, OnnxNode> producers = g.producers();
            for (OnnxNode resize : g.nodes()) {
                if (resize.opType().equals("Resize") && trySwap(g, resize, consumers, producers)) {
                    swapped++;
                    changed = true;
                    break;
                }
            }
        }
        if (swapped > 0) {
            removeDeadNodes(g);
        }
        return swapped;
    }

    /** Drops nodes whose outputs nobody reads (the old sizes chains), and the constants only they read. */
    private static void removeDeadNodes(OnnxGraph g) {
        boolean changed = true;
        while (changed) {
            Map<String, List<OnnxNode>> consumers = g.consumers();
            changed = g.nodes().removeIf(n -> n.outputs().stream()
                    .noneMatch(o -> consumers.containsKey(o) || g.isOutput(o)));
        }
        Map<String, List<OnnxNode>> consumers = g.consumers();
        g.initializers().keySet().removeIf(name -> !consumers.containsKey(name));
    }

    private static boolean trySwap(OnnxGraph g, OnnxNode resize, Map<String, List<OnnxNode>> consumers,
            Map<String, OnnxNode> producers) {
        Object mode = resize.attributes().getOrDefault("mode", "nearest");
        List<OnnxNode> readers = consumers.getOrDefault(resize.output(), List.of());
        if (!(mode.equals("linear") || mode.equals("nearest")) || readers.size() != 1 || g.isOutput(resize.output())
                || resize.inputs().size() != 4) {
            return false;
        }
        OnnxNode conv = readers.get(0);
        if (!conv.opType().equals("Conv") || !conv.inputs().get(0).equals(resize.output()) || !isPointwise(g, conv)) {
            return false;
        }
        long[] w = g.initializer(conv.inputs().get(1)).dims();
        long outChannels = w[0];
        if (outChannels >= w[1]) {
            return false;
        }
        List<OnnxNode> nodes = g.nodes();
        List<OnnxNode> sizeNodes = new ArrayList<>();
        String narrow = g.unique(conv.name() + "/before_resize");
        String sizes = resizedSizes(g, resize.inputs().get(3), resize.inputs().get(0), narrow, outChannels, producers,
                sizeNodes);
        if (sizes == null) {
            return false;
        }
        List<String> resizeInputs = new ArrayList<>(resize.inputs());
        resizeInputs.set(0, narrow);
        resizeInputs.set(3, sizes);
        List<String> convInputs = new ArrayList<>(conv.inputs());
        convInputs.set(0, resize.inputs().get(0));
        List<OnnxNode> replacement = new ArrayList<>();
        replacement.add(conv.withInputs(convInputs).withOutputs(List.of(narrow)));
        replacement.addAll(sizeNodes);
        replacement.add(resize.withInputs(resizeInputs).withOutputs(conv.outputs()));
        nodes.remove(conv);
        int at = nodes.indexOf(resize);
        nodes.remove(at);
        nodes.addAll(at, replacement);
        return true;
    }

    private static boolean isPointwise(OnnxGraph g, OnnxNode conv) {
        Initializer w = g.initializer(conv.inputs().get(1));
        if (w == null || w.dims().length != 4 || w.dims()[2] != 1 || w.dims()[3] != 1) {
            return false;
        }
        if (conv.inputs().size() > 2 && g.initializer(conv.inputs().get(2)) == null) {
            return false;
        }
        Map<String, Object> a = conv.attributes();
        return ((Number) a.getOrDefault("group", 1L)).longValue() == 1 && all(a.get("pads"), 0)
                && all(a.get("strides"), 1);
    }

    /**
     * The Resize's target sizes with the channel count replaced: a new constant, or, for an open batch, the
     * exporter's Shape -> Slice -> Concat chain rebuilt on the convolution's output (added to {@code sizeNodes}).
     * Null when the sizes come from elsewhere.
     */
    private static String resizedSizes(OnnxGraph g, String sizes, String resizeInput, String narrow,
            long channels, Map<String, OnnxNode> producers, List<OnnxNode> sizeNodes) {
        Initializer constant = g.initializer(sizes);
        if (constant != null) {
            long[] s = constant.longs();
            s[1] = channels;
            return g.addInitializer(Initializer.ofLongs(sizes, s, 4));
        }
        OnnxNode concat = producers.get(sizes);
        OnnxNode slice = concat == null || !concat.opType().equals("Concat") ? null
                : producers.get(concat.inputs().get(0));
        OnnxNode shape = slice == null || !slice.opType().equals("Slice") ? null : producers.get(slice.inputs().get(0));
        if (shape == null || !shape.opType().equals("Shape") || !shape.inputs().get(0).equals(resizeInput)
                || concat.inputs().size() != 2 || g.initializer(concat.inputs().get(1)) == null) {
            return null;
        }
        String shapeOut = g.unique(narrow + "/shape");
        String sliceOut = g.unique(narrow + "/batch_channels");
        String sizesOut = g.unique(narrow + "/sizes");
        List<String> sliceInputs = new ArrayList<>(slice.inputs());
        sliceInputs.set(0, shapeOut);
        sizeNodes.add(new OnnxNode("Shape", shapeOut, List.of(narrow), List.of(shapeOut), shape.attributes()));
        sizeNodes.add(new OnnxNode("Slice", sliceOut, sliceInputs, List.of(sliceOut), slice.attributes()));
        sizeNodes.add(new OnnxNode("Concat", sizesOut, List.of(sliceOut, concat.inputs().get(1)), List.of(sizesOut),
                concat.attributes()));
        return sizesOut;
    }

    /** Whether every value of an INTS attribute is {@code value}; an absent attribute has its default. */
    private static boolean all(Object ints, long value) {
        if (ints == null) {
            return true;
        }
        for (long v : (long[]) ints) {
            if (v != value) {
                return false;
            }
        }
        return true;
    }
}
