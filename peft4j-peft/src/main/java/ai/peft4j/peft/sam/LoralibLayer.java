package ai.peft4j.peft.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.peft.Attachment;

/**
 * loralib's LoRA on one Linear, with its parameters {@code lora_A} and {@code lora_B} placed directly on the
 * adapted module as loralib names them ({@code attn.qkv.lora_A}), so published checkpoints map by name.
 *
 * <p>{@code lora.Linear}: {@code y + x A^T B^T * scaling}, A {@code [r, in]}, B {@code [out, r]}.
 * {@code lora.MergedLinear(enable_lora=[True, False, True])}: A {@code [2r, in]}, B {@code [2 out / 3, r]}; the
 * first half of A and B updates the q rows and the second half the v rows, k gets nothing (a grouped 1-D
 * convolution in loralib, two products here). Initial values as loralib's: A kaiming-uniform (a = sqrt(5)), B zeros.
 */
final class LoralibLayer {
    private final Parameter a;
    private final Parameter b;
    private final float scaling;
    /** For the merged q/v form: heads of a per-head interleaved qkv (TinyViT), or 0 for [q | k | v] rows. */
    private final int interleavedHeads;
    private final boolean merged;

    private LoralibLayer(Parameter a, Parameter b, float scaling, boolean merged, int interleavedHeads) {
        this.a = a;
        this.b = b;
        this.scaling = scaling;
        this.merged = merged;
        this.interleavedHeads = interleavedHeads;
    }

    /** {@code lora.Linear} of rank {@code r} on the Linear at {@code path}. */
    static void linear(Attachment at, String path, int r, double scaling) {
        Linear base = (Linear) at.model().module(path);
        NDManager m = base.weight().data().getManager();
        Parameter a = at.addParameter(path, "lora_A", Initializers.pytorchDefault(m, new Shape(r, base.inFeatures()),
                base.inFeatures()));
        Parameter b = at.addParameter(path, "lora_B", m.zeros(new Shape(base.outFeatures(), r)));
        LoralibLayer layer = new LoralibLayer(a, b, (float) scaling, false, 0);
        at.addHook(path, (mod, in, out) -> out.add(layer.delta((NDArray) in[0])));
    }

    /**
     * {@code lora.MergedLinear} on the q and v rows of the fused qkv Linear at {@code path}; {@code interleavedHeads}
     * is the head count when the rows are per head {@code [q_h k_h v_h]} and the update should follow them, else 0.
     */
    static void mergedQv(Attachment at, String path, int r, double scaling, int interleavedHeads) {
        Linear base = (Linear) at.model().module(path);
        if (base.outFeatures() % 3 != 0) {
            throw new IllegalArgumentException("'" + path + "' has " + base.outFeatures() + " outputs, not three "
                    + "equal parts q, k, v");
        }
        NDManager m = base.weight().data().getManager();
        Parameter a = at.addParameter(path, "lora_A", Initializers.pytorchDefault(m,
                new Shape(2L * r, base.inFeatures()), base.inFeatures()));
        Parameter b = at.addParameter(path, "lora_B", m.zeros(new Shape(2L * base.outFeatures() / 3, r)));
        LoralibLayer layer = new LoralibLayer(a, b, (float) scaling, true, interleavedHeads);
        at.addHook(path, (mod, in, out) -> out.add(layer.delta((NDArray) in[0])));
    }

    private NDArray delta(NDArray x) {
        NDManager m = x.getManager();
        NDArray wa = view(a.data(), m);
        NDArray wb = view(b.data(), m);
        if (!merged) {
            return Scalars.mul(x.matMul(wa.transpose()).matMul(wb.transpose()), scaling);
        }
        long third = wb.getShape().get(0) / 2;
        NDList as = wa.split(2, 0);
        NDList bs = wb.split(2, 0);
        NDArray dq = Scalars.mul(x.matMul(as.get(0).transpose()).matMul(bs.get(0).transpose()), scaling);
        NDArray dv = Scalars.mul(x.matMul(as.get(1).transpose()).matMul(bs.get(1).transpose()), scaling);
        NDArray dk = dq.zerosLike();
        if (interleavedHeads <= 0) {
            return dq.concat(dk, -1).concat(dv, -1);
        }
        // Rows per head [q_h k_h v_h]: stack the three updates per head, then flatten back to 3 * dim rows.
        Shape s = dq.getShape();
        long[] lead = new long[s.dimension()];
        for (int i = 0; i < s.dimension() - 1; i++) {
            lead[i] = s.get(i);
        }
        lead[s.dimension() - 1] = interleavedHeads;
        Shape perHead = new Shape(lead).addAll(new Shape(third / interleavedHeads));
        NDArray stacked = NDArrays.stack(new NDList(dq.reshape(perHead), dk.reshape(perHead), dv.reshape(perHead)),
                s.dimension());
        return stacked.reshape(s.slice(0, s.dimension() - 1).addAll(new Shape(3 * third)));
    }

    static NDArray view(NDArray param, NDManager m) {
        NDArray v = param.reshape(param.getShape());
        v.attach(m);
        return v;
    }
}
