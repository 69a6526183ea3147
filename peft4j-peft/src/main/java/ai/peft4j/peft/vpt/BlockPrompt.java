package ai.peft4j.peft.vpt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.PrefixTokens;

/**
 * The prompt tokens of one block: row {@code row} of a stage's prompt tensor, dropped out and normalised by the
 * block's own {@code norm1}, since the published block normalises prompts and image tokens together.
 *
 * @param perImage the published first block takes the shallow prompt expanded to the batch before dropout, so in
 *     training each image gets its own dropout mask; deep prompts share one mask
 */
record BlockPrompt(Parameter prompts, int row, boolean perImage, Layer dropout, Layer norm) implements PrefixTokens {
    @Override
    public NDArray tokens(NDArray input) {
        NDArray p = prompts.data().get(new NDIndex("{}:{}", row, row + 1));
        if (p.getManager() != input.getManager()) {
            p.attach(input.getManager());
        }
        if (perImage) {
            Shape s = p.getShape();
            p = p.broadcast(input.getShape().get(0), s.get(1), s.get(2));
        }
        return norm.forward(dropout.forward(p));
    }
}
