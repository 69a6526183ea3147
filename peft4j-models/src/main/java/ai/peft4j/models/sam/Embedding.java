package ai.peft4j.models.sam;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;

/**
 * A learned table {@code weight [rows, dim]} as {@code nn.Embedding}; SAM reads its rows directly (prompt labels,
 * output tokens) rather than looking them up by id. Initialised N(0, 1) as PyTorch does.
 */
public class Embedding extends Module {
    public Embedding(NDManager manager, int rows, int dim) {
        registerParameter("weight", manager.randomNormal(new Shape(rows, dim)));
    }

    public Parameter weight() {
        return parameter("weight");
    }
}
