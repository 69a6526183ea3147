package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;

/**
 * A lookup table {@code weight [rows, dim]} as {@code nn.Embedding}. Several tables may hold one {@link Parameter}
 * (Florence-2 ties {@code shared}, both {@code embed_tokens} and {@code lm_head}), so a change to one, a merged
 * adapter included, is a change to all, as in PyTorch.
 */
public class TokenEmbedding extends Module {
    public TokenEmbedding(NDManager manager, int rows, int dim) {
        registerParameter("weight", manager.randomNormal(new Shape(rows, dim)));
    }

    /** A table that is another's {@code weight}, tied to it. */
    public TokenEmbedding(Parameter tied) {
        addParameter("weight", tied);
    }

    public Parameter weight() {
        return parameter("weight");
    }

    /** Rows for integer ids of any shape {@code [...]}: {@code [..., dim]}. */
    public NDArray forward(NDArray ids) {
        NDArray w = weight().data();
        Shape s = ids.getShape();
        NDArray rows = w.get(ids.toType(DataType.INT64, false).flatten());
        return near(rows, ids).reshape(s.addAll(new Shape(w.getShape().get(1))));
    }
}
