package ai.peft4j.infer.onnx;

import ai.peft4j.core.nn.Module;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model as an ONNX graph with input {@code images [N, 3, H, W]} (float32) and output {@code output}, the
 * logits the model returns in eval mode. DJL cannot trace a forward, so the graph is built by walking the module
 * tree with one {@link Emitter} per module class that mirrors that class's forward; a module without one (an
 * unmerged adapter, say) fails with its path. BatchNorm after a convolution is folded into its weights, and a 1x1
 * convolution that follows a Resize runs before it where it narrows the channels ({@link ResizeConvSwap}).
 *
 * <pre>{@code
 * OnnxExporter.builder().setModel(net).setInputSize(224, 224).build().export(Path.of("model.onnx"));
 * }</pre>
 */
public final class OnnxExporter {
    public static final String INPUT = "images";
    public static final String OUTPUT = "output";

    private final Module model;
    private final int height;
    private final int width;
    private final boolean dynamicBatch;
    private final boolean foldBatchNorm;
    private final Map<Class<?>, Emitter<?>> emitters;

    private OnnxExporter(Builder b) {
        this.model = b.model;
        this.height = b.height;
        this.width = b.width;
        this.dynamicBatch = b.dynamicBatch;
        this.foldBatchNorm = b.foldBatchNorm;
        this.emitters = Map.copyOf(b.emitters);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The graph of the model in eval mode (the model is switched to eval mode). */
    public OnnxGraph graph() {
        model.eval();
        OnnxGraph g = new OnnxGraph(model.getClass().getSimpleName());
        long batch = dynamicBatch ? -1 : 1;
        g.addInput(new ValueInfo(INPUT, ElementType.FLOAT, new long[] {batch, 3, height, width}));
        ExportContext ctx = new ExportContext(g, emitters);
        Value out = ctx.emit(model, new Value(INPUT, new long[] {batch, 3, height, width}));
        // The output gets its public name by an Identity, so the last node's own name stays free for passes.
        g.addNode(new OnnxNode("Identity", OUTPUT, List.of(out.name()), List.of(OUTPUT), Map.of()));
        g.addOutput(new ValueInfo(OUTPUT, ElementType.FLOAT, out.shape()));
        if (foldBatchNorm) {
            BatchNormFolding.apply(g);
        }
        ResizeConvSwap.apply(g);
        return g;
    }

    /** Exports to {@code file} (atomically). */
    public OnnxGraph export(Path file) throws IOException {
        OnnxGraph g = graph();
        OnnxWriter.write(g, file);
        return g;
    }

    /** Builder: the model and input size are required. */
    public static final class Builder {
        private Module model;
        private int height;
        private int width;
        private boolean dynamicBatch = true;
        private boolean foldBatchNorm = true;
        private final Map<Class<?>, Emitter<?>> emitters = new HashMap<>();

        private Builder() {
            CoreEmitters.register(emitters);
            PoolFormerEmitters.register(emitters);
            EfficientFormerEmitters.register(emitters);
            FastSegFormerEmitters.register(emitters);
            UNetEmitters.register(emitters);
        }

        public Builder setModel(Module model) {
            this.model = model;
            return this;
        }

        public Builder setInputSize(int height, int width) {
            this.height = height;
            this.width = width;
            return this;
        }

        /** An open batch axis ({@code N}, default) or a fixed batch of 1 as the published export has. */
        public Builder optDynamicBatch(boolean dynamic) {
            this.dynamicBatch = dynamic;
            return this;
        }

        /** Folds BatchNorm into the convolution before it (default on; off keeps BatchNormalization nodes). */
        public Builder optFoldBatchNorm(boolean fold) {
            this.foldBatchNorm = fold;
            return this;
        }

        /** Adds or replaces the emitter of a module class (for models outside peft4j-models). */
        public <M extends Module> Builder optEmitter(Class<M> type, Emitter<M> emitter) {
            emitters.put(type, emitter);
            return this;
        }

        public OnnxExporter build() {
            if (model == null) {
                throw new IllegalArgumentException("a model is required (setModel)");
            }
            if (height < 1 || width < 1) {
                throw new IllegalArgumentException("a positive input size is required (setInputSize), got "
                        + height + "x" + width);
            }
            return new OnnxExporter(this);
        }
    }
}
