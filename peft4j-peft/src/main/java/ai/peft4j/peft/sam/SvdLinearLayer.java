package ai.peft4j.peft.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.adalora.RankAllocator;

/**
 * loralib's {@code SVDLinear} on one Linear: {@code y + x (A * E)^T B^T * alpha / (ranknum + 1e-5)} with A
 * {@code [r, in]}, E {@code [r, 1]} scaling A's rows, B {@code [out, r]}, placed on the module as
 * {@code lora_A}, {@code lora_E}, {@code lora_B}. loralib's frozen {@code ranknum} parameter is the constant r here
 * and not stored. Initial values as loralib's: E zeros, A and B ~ N(0, 0.02).
 */
final class SvdLinearLayer {
    private final Parameter a;
    private final Parameter e;
    private final Parameter b;
    private final float factor;

    private SvdLinearLayer(Parameter a, Parameter e, Parameter b, float factor) {
        this.a = a;
        this.e = e;
        this.b = b;
        this.factor = factor;
    }

    static RankAllocator.Triplets attach(Attachment at, String path, int r, double alpha) {
        Linear base = (Linear) at.model().module(path);
        NDManager m = base.weight().data().getManager();
        Parameter a = at.addParameter(path, "lora_A", m.randomNormal(0f, 0.02f, new Shape(r, base.inFeatures()),
                DataType.FLOAT32));
        Parameter e = at.addParameter(path, "lora_E", m.zeros(new Shape(r, 1)));
        Parameter b = at.addParameter(path, "lora_B", m.randomNormal(0f, 0.02f, new Shape(base.outFeatures(), r),
                DataType.FLOAT32));
        SvdLinearLayer layer = new SvdLinearLayer(a, e, b, (float) (alpha / (r + 1e-5)));
        at.addHook(path, (mod, in, out) -> out.add(layer.delta((NDArray) in[0])));
        return new RankAllocator.Triplets(a, e, b, path + ".lora_A", path + ".lora_E", path + ".lora_B");
    }

    private NDArray delta(NDArray x) {
        NDManager m = x.getManager();
        NDArray ae = LoralibLayer.view(a.data(), m).mul(LoralibLayer.view(e.data(), m));
        return Scalars.mul(x.matMul(ae.transpose()).matMul(LoralibLayer.view(b.data(), m).transpose()), factor);
    }
}
