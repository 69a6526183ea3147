package ai.peft4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.peft.Attachment;
import ai.peft4j.core.tensor.Scalars;

/**
 * LoRA on one Linear or Conv2d: the {@code lora_A} and {@code lora_B} children placed under it (and with DoRA its
 * {@code lora_magnitude_vector}), the hook that adds their contribution to its output, and merging into its weight.
 *
 * <p>For a Conv2d, {@code lora_A} is a convolution with the base's kernel, stride and padding into {@code r}
 * channels and {@code lora_B} a 1x1 convolution, as HF PEFT builds them, so their weights load by name.
 */
public final class LoraLayer {
    private final String path;
    private final Module base;
    private final Module loraA;
    private final Module loraB;
    private final Dropout dropout;
    private final MagnitudeVector magnitude;
    private final int rank;
    private final double scaling;
    private boolean merged;
    // DoRA merges with the norm of W + dW taken before the merge; unmerging needs that same norm back.
    private NDArray mergedNorm;

    private LoraLayer(String path, Module base, int rank, double scaling, float dropoutRate, boolean dora,
            LoraInit init) {
        this.path = path;
        this.base = base;
        this.rank = rank;
        this.scaling = scaling;
        NDManager manager = weight().data().getManager();
        if (base instanceof Linear) {
            Linear l = (Linear) base;
            loraA = new Linear(manager, l.inFeatures(), rank, false);
            loraB = new Linear(manager, rank, l.outFeatures(), false);
        } else if (base instanceof Conv2d) {
            Conv2d c = (Conv2d) base;
            if (c.groups() != 1) {
                throw new IllegalArgumentException("LoRA target '" + path + "' is a grouped convolution (" + c
                        + "); LoRA supports Conv2d with groups 1 only");
            }
            loraA = new Conv2d(manager, c.inChannels(), rank, c.kernel(), c.stride(), c.padding(), 1, false);
            loraB = new Conv2d(manager, rank, c.outChannels(), 1, 1, 0, 1, false);
        } else {
            throw new IllegalArgumentException("LoRA target '" + path + "' is a " + base.getClass().getSimpleName()
                    + "; LoRA adapts Linear and Conv2d modules: narrow target_modules to those");
        }
        Parameter a = weightOf(loraA);
        Parameter b = weightOf(loraB);
        switch (init) {
            case KAIMING:
                Initializers.constant(b, 0f);
                break;
            case GAUSSIAN:
                try (NDArray v = manager.randomNormal(0f, 1f / rank, a.shape(), DataType.FLOAT32)) {
                    a.replace(v);
                }
                Initializers.constant(b, 0f);
                break;
            default:
                break;
        }
        dropout = dropoutRate > 0 ? new Dropout(dropoutRate) : null;
        if (dora) {
            // The magnitude starts as the norm of the adapted weight, so DoRA too starts as the base model.
            try (NDManager tmp = manager.newSubManager()) {
                NDArray norm = rowNorm(tmp, deltaWeight(tmp)).reshape(magnitudeShape());
                magnitude = new MagnitudeVector(norm.duplicate());
                magnitude.weight().data().attach(manager);
            }
        } else {
            magnitude = null;
        }
    }

    /** Builds LoRA on the module at {@code path} and adds its children and hook through {@code attachment}. */
    static LoraLayer attach(Attachment attachment, String path, int rank, double scaling, float dropout,
            boolean dora, LoraInit init) {
        LoraLayer layer = new LoraLayer(path, attachment.model().module(path), rank, scaling, dropout, dora, init);
        attachment.addModule(path, "lora_A", layer.loraA);
        attachment.addModule(path, "lora_B", layer.loraB);
        if (layer.dropout != null) {
            attachment.addModule(path, "lora_dropout", layer.dropout);
        }
        if (layer.magnitude != null) {
            attachment.addModule(path, "lora_magnitude_vector", layer.magnitude);
        }
        attachment.addHook(path, (m, inputs, out) -> layer.forward((NDArray) inputs[0], out));
        return layer;
    }

    public String path() {
        return path;
    }

    public int rank() {
        return rank;
    }

    public double scaling() {
        return scaling;
    }

    public boolean isDora() {
        return magnitude != null;
    }

    public boolean isMerged() {
        return merged;
    }

    /** The adapted module's output: the base output plus the low-rank update (DoRA: rescaled per row). */
    NDArray forward(NDArray x, NDArray out) {
        if (merged) {
            return out;
        }
        boolean drop = dropout != null && dropout.isTraining();
        NDArray xd = drop ? dropout.forward(x) : x;
        NDArray lora = Scalars.mul(run(loraB, run(loraA, xd)), (float) scaling);
        if (magnitude == null) {
            return out.add(lora);
        }
        NDManager m = x.getManager();
        // DoRA paper section 4.3 (and HF): the norm is treated as a constant, so no gradient flows through it.
        NDArray norm = rowNorm(m, deltaWeight(m)).stopGradient().reshape(magnitudeShape());
        NDArray factor = inScope(magnitude.weight().data(), m).div(norm);
        NDArray baseNoBias = drop ? noBias(run(base, xd)) : noBias(out);
        return out.add(Scalars.sub(factor, 1f).mul(baseNoBias)).add(factor.mul(lora));
    }

    /** Writes the update into the base weight; the hook then passes the output through. */
    void merge() {
        if (merged) {
            return;
        }
        Parameter w = weight();
        try (NDManager tmp = w.data().getManager().newSubManager()) {
            NDArray delta = deltaWeight(tmp);
            NDArray next;
            if (magnitude == null) {
                next = inScope(w.data(), tmp).add(delta);
            } else {
                NDArray norm = rowNorm(tmp, delta);
                mergedNorm = norm.duplicate();
                mergedNorm.attach(w.data().getManager());
                next = inScope(w.data(), tmp).add(delta).mul(rowFactor(tmp, norm));
            }
            w.replace(next);
        }
        merged = true;
    }

    /** Takes the update out of the base weight again. */
    void unmerge() {
        if (!merged) {
            return;
        }
        Parameter w = weight();
        try (NDManager tmp = w.data().getManager().newSubManager()) {
            NDArray delta = deltaWeight(tmp);
            NDArray next = inScope(w.data(), tmp);
            if (magnitude != null) {
                mergedNorm.attach(tmp); // freed with tmp
                next = next.div(rowFactor(tmp, mergedNorm));
                mergedNorm = null;
            }
            w.replace(next.sub(delta));
        }
        merged = false;
    }

    /** {@code scaling * B A} in the shape of the base weight, computed in {@code m}. */
    public NDArray deltaWeight(NDManager m) {
        NDArray b = inScope(weightOf(loraB).data(), m);
        NDArray a = inScope(weightOf(loraA).data(), m);
        Shape ws = weight().shape();
        return Scalars.mul(b.reshape(ws.get(0), rank).matMul(a.reshape(rank, -1)).reshape(ws), (float) scaling);
    }

    // L2 norm of each output row of W + dW (over all other axes for a convolution), shape [out].
    private NDArray rowNorm(NDManager m, NDArray delta) {
        NDArray w = inScope(weight().data(), m);
        long out = w.getShape().get(0);
        return w.add(delta).reshape(out, -1).square().sum(new int[] {1}).sqrt();
    }

    // magnitude / norm as a column broadcast over the rows of the weight.
    private NDArray rowFactor(NDManager m, NDArray norm) {
        Shape ws = weight().shape();
        long[] dims = new long[ws.dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = ws.get(0);
        NDArray mag = inScope(magnitude.weight().data(), m).reshape(new Shape(dims));
        return mag.div(norm.reshape(new Shape(dims)));
    }

    private Shape magnitudeShape() {
        long out = weight().shape().get(0);
        return base instanceof Conv2d ? new Shape(1, out, 1, 1) : new Shape(out);
    }

    private NDArray noBias(NDArray y) {
        Parameter bias = base instanceof Linear ? ((Linear) base).bias() : ((Conv2d) base).bias();
        if (bias == null) {
            return y;
        }
        NDArray b = inScope(bias.data(), y.getManager());
        return base instanceof Conv2d ? y.sub(b.reshape(1, -1, 1, 1)) : y.sub(b);
    }

    private Parameter weight() {
        return weightOf(base);
    }

    private static Parameter weightOf(Module m) {
        return m.parameter("weight");
    }

    private static NDArray run(Module m, NDArray x) {
        return ((Layer) m).forward(x);
    }

    // A view of a parameter owned by m, so that what is computed from it lives (and is freed) there, not with
    // the parameter.
    private static NDArray inScope(NDArray param, NDManager m) {
        NDArray view = param.reshape(param.getShape());
        view.attach(m);
        return view;
    }

    @Override
    public String toString() {
        return (isDora() ? "DoRA" : "LoRA") + "(" + path + ", r=" + rank + ", scaling=" + scaling
                + (merged ? ", merged" : "") + ")";
    }
}
