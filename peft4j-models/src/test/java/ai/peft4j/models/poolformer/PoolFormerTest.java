package ai.peft4j.models.poolformer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolFormerTest {
    @Test
    void s12_givesFourNormalisedMapsAtQuarterToThirtySecondResolution() {
        try (NDManager m = EngineSetup.newManager()) {
            PoolFormer net = new PoolFormer(m, PoolFormerConfig.s12());
            net.eval();
            List<NDArray> maps = net.features(m.randomUniform(0f, 1f, new Shape(2, 3, 96, 128)));
            assertEquals(List.of(new Shape(2, 64, 24, 32), new Shape(2, 128, 12, 16), new Shape(2, 320, 6, 8),
                    new Shape(2, 512, 3, 4)), maps.stream().map(NDArray::getShape).toList());
        }
    }

    @Test
    void s12_backboneHasTheParametersOfTheClassifierWithoutItsHead() {
        try (NDManager m = EngineSetup.newManager()) {
            // The common_backbone.* parameters of the published FastSegFormer-P. With the classifier's final norm
            // and 1000-class head in place of the four stage norms: 11,915,176, the 11.9 M of poolformer_s12.
            long backbone = new PoolFormer(m, PoolFormerConfig.s12()).parameterCount();
            assertEquals(11_403_200L, backbone);
            assertEquals(11_915_176L, backbone - 2 * (64 + 128 + 320 + 512) + 2 * 512 + 512 * 1000 + 1000);
        }
    }
}
