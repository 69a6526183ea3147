package ai.peft4j.peft.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.core.tensor.Scalars;

/**
 * AdaLoRA on one Linear: children {@code lora_A}, {@code lora_E}, {@code lora_B} under it and a hook adding
 * {@code dropout(x) (A * E)^T B^T * scaling / (ranknum + 1e-5)}.
 */
public final class AdaLoraLayer {
    private final String path;
    private final Linear base;
    private final SvdFactor a;
    private final SvdFactor e;
    private final SvdFactor b;
    private final Dropout dropout;
    private final int rank;
    private final float scaling;
    private boolean merged;

    private AdaLoraLayer(String path, Linear base, int rank, int ranknum, double scaling, float dropoutRate) {
        this.path = path;
        this.base = base;
        this.rank = rank;
        this.scaling = (float) scaling;
        NDManager m = base.weight().data().getManager();
        // HF's init: E zeros (the update starts at zero), A and B ~ N(0, 0.02).
        a = new SvdFactor(m.randomNormal(0f, 0.02f, new Shape(rank, base.inFeatures()), DataType.FLOAT32), null);
        e = new SvdFactor(m.zeros(new Shape(rank, 1)), m.create(new float[] {ranknum}));
        b = new SvdFactor(m.randomNormal(0f, 0.02f, new Shape(base.outFeatures(), rank), DataType.FLOAT32), null);
        dropout = dropoutRate > 0 ? new Dropout(dropoutRate) : null;
    }

    static AdaLoraLayer attach(Attachment attachment, String path, int rank, int ranknum, double scaling,
            float dropout) {
        Module m = attachment.model().module(path);
        if (!(m instanceof Linear)) {
            throw new IllegalArgumentException("AdaLoRA target '" + path + "' is a " + m.getClass().getSimpleName()
                    + "; AdaLoRA adapts Linear modules, so narrow target_modules to those");
        }
        AdaLoraLayer layer = new AdaLoraLayer(path, (Linear) m, rank, ranknum, scaling, dropout);
        attachment.addModule(path, "lora_A", layer.a);
        attachment.addModule(path, "lora_E", layer.e);
        attachment.addModule(path, "lora_B", layer.b);
        if (layer.dropout != null) {
            attachment.addModule(path, "lora_dropout", layer.dropout);
        }
        attachment.addHook(path, (mod, inputs, out) -> layer.forward((NDArray) inputs[0], out));
        return layer;
    }

    public String path() {
        return path;
    }

    /** The number of triplets this layer holds (pruned ones included until the adapter is compacted). */
    public int rank() {
        return rank;
    }

    /** The rank the update is divided by: the initial rank, also after pruning. */
    public float ranknum() {
        return e.buffer("ranknum").data().getFloat(0);
    }

    public SvdFactor loraA() {
        return a;
    }

    public SvdFactor loraE() {
        return e;
    }

    public SvdFactor loraB() {
        return b;
    }

    NDArray forward(NDArray x, NDArray out) {
        if (rank == 0 || merged) {
            return out;
        }
        NDManager m = x.getManager();
        NDArray xd = dropout != null && dropout.isTraining() ? dropout.forward(x) : x;
        NDArray ae = view(a.weight().data(), m).mul(view(e.weight().data(), m));
        NDArray h = ai.djl.nn.core.Linear.linear(xd, ae, null).singletonOrThrow();
        NDArray y = ai.djl.nn.core.Linear.linear(h, view(b.weight().data(), m), null).singletonOrThrow();
        return out.add(Scalars.mul(y, scaling / (ranknum() + 1e-5f)));
    }

    public boolean isMerged() {
        return merged;
    }

    /** Adds the update to the base weight; the hook then passes the output through. */
    void merge() {
        if (!merged) {
            shiftBase(1);
            merged = true;
        }
    }

    /** Takes the update out of the base weight again. */
    void unmerge() {
        if (merged) {
            shiftBase(-1);
            merged = false;
        }
    }

    private void shiftBase(float sign) {
        NDArray w = base.weight().data();
        try (NDManager tmp = w.getManager().newSubManager()) {
            base.weight().replace(view(w, tmp).add(deltaWeight(tmp).mul(sign)));
        }
    }

    /** {@code B (A * E) * scaling / (ranknum + 1e-5)}, shaped as the base weight, in {@code m}. */
    public NDArray deltaWeight(NDManager m) {
        NDArray ae = view(a.weight().data(), m).mul(view(e.weight().data(), m));
        return Scalars.mul(view(b.weight().data(), m).matMul(ae), scaling / (ranknum() + 1e-5f));
    }

    /** A view of a parameter owned by {@code m}, so that what is computed from it is freed with {@code m}. */
    static NDArray view(NDArray param, NDManager m) {
        NDArray v = param.reshape(param.getShape());
        v.attach(m);
        return v;
    }

    @Override
    public String toString() {
        return "AdaLoRA(" + path + ", r=" + rank + ")";
    }
}
