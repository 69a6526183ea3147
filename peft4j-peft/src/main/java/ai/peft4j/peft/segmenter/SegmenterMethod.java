package ai.peft4j.peft.segmenter;

import ai.peft4j.core.tensor.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.bottleneck.ChannelsLast;
import ai.peft4j.peft.transfer.ClassifierLayout;
import java.util.List;
import java.util.function.Predicate;

/**
 * The shape shared by the methods of the TP-LoRA comparison: something per transformer block, something per
 * decoder block and per attention gate, and the head always trains. Subclasses say what; this class walks the
 * layout and wires the hooks. A method with a {@linkplain #onClassifier() classifier form} (full, classify) also
 * attaches to a ViT classifier (timm names: {@code blocks}, {@code head}), where it adds nothing and only says
 * which base parameters train.
 */
public abstract class SegmenterMethod extends PeftMethod {
    /** Standard deviation of a fresh head's weights, as the published {@code weights_init} draws them. */
    public static final float FRESH_HEAD_STD = 0.02f;

    protected final SegmenterLayout layout;
    private int numClasses;

    protected SegmenterMethod(SegmenterLayout layout) {
        this.layout = layout;
    }

    /**
     * Gives the adapter a new head for {@code classes} classes (background included) instead of a copy of the base
     * model's; 0 keeps the base model's.
     */
    public SegmenterMethod withClasses(int classes) {
        if (classes < 0) {
            throw new IllegalArgumentException("classes must be positive, got " + classes);
        }
        this.numClasses = classes;
        return this;
    }

    public int classes() {
        return numClasses;
    }

    /**
     * The base parameters this method trains on a ViT classifier, by name; null (the default) when the method has
     * no such form and needs a segmenter.
     */
    protected Predicate<String> onClassifier() {
        return null;
    }

    /** Whether {@code model} gets the classifier form: a ViT (blocks, no segmenter head) and a method with one. */
    private boolean classifierForm(Module model) {
        return onClassifier() != null && !model.hasChild(layout.head()) && model.hasChild(ClassifierLayout.BLOCKS);
    }

    /**
     * The transformer blocks of the layout, or a ViT classifier's head for the classifier form; fails naming the
     * model's modules when it is neither.
     */
    @Override
    protected List<String> findTargets(Module model) {
        if (classifierForm(model)) {
            ClassifierLayout.requireHead(model, name());
            return List.of(ClassifierLayout.HEAD);
        }
        layout.check(model);
        return layout.findBlocks(model).stream().map(SegmenterLayout.Block::path).toList();
    }

    @Override
    protected final void addTo(Attachment a, List<String> targets) {
        Module model = a.model();
        if (classifierForm(model)) {
            a.trainBase(onClassifier());
            return;
        }
        NDManager manager = managerOf(model);
        List<SegmenterLayout.Block> blocks = layout.findBlocks(model);
        attachBackbone(a, manager, blocks);
        for (SegmenterLayout.Block b : blocks) {
            attachBlock(a, manager, b);
        }
        List<String> decoder = layout.decoderBlocks();
        for (int k = 1; k <= decoder.size(); k++) {
            String path = decoder.get(k - 1);
            attachDecoder(a, manager, k, path, layout.decoderChannels(model, path));
        }
        List<String> gates = layout.gates();
        for (int k = 1; k <= gates.size(); k++) {
            String path = gates.get(k - 1);
            attachGate(a, manager, k, path, layout.gateChannels(model, path));
        }
        a.swapModule(layout.head(), ownHead(model, manager));
        trainBase(a);
    }

    /**
     * The adapter's own classifier: a copy of the model's, or a fresh one (weights N(0, 0.02)) when the product line
     * has another number of classes. Owning it is what lets adapters for different product lines share one base model.
     */
    private Module ownHead(Module model, NDManager manager) {
        Module current = model.module(layout.head());
        if (!(current instanceof Conv2d conv)) {
            throw new IllegalArgumentException("head '" + layout.head() + "' is a " + current
                    + ", expected a 1x1 convolution");
        }
        int classes = numClasses > 0 ? numClasses : conv.outChannels();
        Conv2d mine = new Conv2d(manager, conv.inChannels(), classes, conv.kernel(), 1, conv.kernel() / 2, 1, true);
        if (classes == conv.outChannels()) {
            mine.weight().replace(conv.weight().data());
            mine.bias().replace(conv.bias().data());
        } else {
            // The published train.py runs weights_init (N(0, 0.02) on every conv weight, biases untouched) before
            // loading the base; a head of another class count is skipped by that load and keeps it. The 7x larger
            // PyTorch default gives random logits of a few units, and LoRA then learns all-background.
            Initializers.normal(mine.weight(), FRESH_HEAD_STD);
        }
        return mine;
    }

    /** Adds what the method puts into the backbone as a whole, before its blocks. */
    protected void attachBackbone(Attachment a, NDManager manager, List<SegmenterLayout.Block> blocks) {}

    /** Adds what the method puts into one transformer block. */
    protected void attachBlock(Attachment a, NDManager manager, SegmenterLayout.Block block) {}

    /** Adds what the method puts beside decoder block {@code level} with {@code channels} outputs. */
    protected void attachDecoder(Attachment a, NDManager manager, int level, String path, int channels) {}

    /** Adds what the method puts into attention gate {@code level} whose skip has {@code channels}. */
    protected void attachGate(Attachment a, NDManager manager, int level, String path, int channels) {}

    /** Base parameters the method trains besides the head. */
    protected void trainBase(Attachment a) {}

    // ---------------------------------------------------------------- wiring used by the methods

    /** {@code qkv(x) + [q(x), 0, v(x)]}: low-rank updates of the query and value parts of a fused projection. */
    protected static void addToQueryAndValue(Attachment a, String blockPath, Layer q, Layer v) {
        a.addHook(blockPath + ".attn.qkv", (m, in, out) -> {
            NDArray x = (NDArray) in[0];
            NDArray dq = q.forward(x);
            NDArray dv = v.forward(x);
            return out.add(dq.concat(dq.zerosLike(), -1).concat(dv, -1));
        });
    }

    /** {@code mlp(y) + scale * adapter(y)}: a branch beside the block's MLP on the same normalised input. */
    protected static void besideMlp(Attachment a, String blockPath, Layer adapter, float scale) {
        a.addHook(blockPath + ".mlp", (m, in, out) -> out.add(scaled(adapter.forward((NDArray) in[0]), scale)));
    }

    /**
     * {@code block(concat(d, e)) + scale * adapter(d)}: the published decoder adapters read the upsampled map d,
     * which is the first {@code channels} channels of the decoder block's input.
     */
    protected static void besideDecoder(Attachment a, String path, int channels, Layer adapterOnMap, float scale) {
        a.addHook(path, (m, in, out) -> {
            NDArray d = ((NDArray) in[0]).get(":, :" + channels);
            return out.add(scaled(adapterOnMap.forward(d), scale));
        });
    }

    /** {@code gate(g, x) + scale * adapter(x)}: a branch on the gate's skip input. */
    protected static void besideGate(Attachment a, String path, Layer adapterOnMap, float scale) {
        a.addHook(path, (m, in, out) -> out.add(scaled(adapterOnMap.forward((NDArray) in[1]), scale)));
    }

    /** A token-wise layer applied to the channels of NCHW maps. */
    protected static Layer onMaps(Layer tokenwise) {
        return map -> ChannelsLast.apply(map, tokenwise::forward);
    }

    /**
     * The published initialisation of adapters built inside the Swin backbone: the backbone's own
     * {@code _init_weights} runs after they exist and redraws every Linear weight from N(0, 0.02), biases 0.
     */
    protected static <M extends Module> M backboneInit(M adapter) {
        for (Module m : adapter.namedModules().values()) {
            if (m instanceof Linear lin) {
                Initializers.truncNormal(lin.weight(), 0.02f);
                if (lin.bias() != null) {
                    Initializers.constant(lin.bias(), 0f);
                }
            }
        }
        return adapter;
    }

    private static NDArray scaled(NDArray x, float scale) {
        return scale == 1f ? x : Scalars.mul(x, scale);
    }

    protected static NDManager managerOf(Module model) {
        for (Parameter p : model.namedParameters().values()) {
            return p.data().getManager();
        }
        throw new IllegalArgumentException("model has no parameters");
    }
}
