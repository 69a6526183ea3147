package ai.peft4j.peft.tplora;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.testing.Tensors;
import org.junit.jupiter.api.Test;

class TextPromptedLoraTest {
    /** The MLP runs on the 48 prompt tokens and is tiled; the published code tiles to L first. Same numbers. */
    @Test
    void textTerm_tilingAfterTheMlp_equalsTilingFirst() {
        try (NDManager m = EngineSetup.newManager()) {
            NDArray prompt = ClosedFormWeights.sinusoid(m, new Shape(1, 48, 768), 0.0071);
            TextPromptedLora ad = new TextPromptedLora(m, 32, 8, 2, Activation.Kind.RELU, prompt);
            ad.eval();
            ClosedFormWeights.fill(ad);
            for (long l : new long[] {7, 48, 49, 196, 3136}) {
                long reps = (l + 47) / 48;
                NDArray tiledFirst = prompt.tile(new long[] {1, reps, 1}).get(":, :" + l + ", :");
                NDArray published = ((Layer) ad.child("mlp")).forward(tiledFirst);
                NDArray ours = ad.textTerm(l, prompt);
                assertEquals(new Shape(1, l, 32), ours.getShape());
                Tensors.assertClose(published, ours, 1e-6, "text term at L=" + l);
                // Cached in eval mode: the same tensor comes back.
                assertEquals(ours, ad.textTerm(l, prompt));
            }
        }
    }
}
