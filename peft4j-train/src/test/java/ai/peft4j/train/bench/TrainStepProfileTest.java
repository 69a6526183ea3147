package ai.peft4j.train.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The memory profile of one training step of the fixture Swin-Att-UNet (batch 2, 64 x 64, decoder level 1
 * checkpointed): its events in the step's order, the batch's and the forward's arrays all freed before Adam's
 * update, and the fixed shares as the model's sizes give them.
 */
class TrainStepProfileTest {
    @Test
    void fixtureStep_eventsInOrder_forwardFreedBeforeTheUpdate() {
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(0);
            SwinAttUNet model = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(3));
            long elements = model.namedParameters().values().stream().mapToLong(p -> p.data().size()).sum();
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                if (e.getKey().startsWith("swin_backbone.")) {
                    e.getValue().setTrainable(false);
                }
            }
            long trained = model.namedParameters().values().stream().filter(Parameter::isTrainable)
                    .mapToLong(p -> p.data().size()).sum();
            TrainStepProfile.Result r = TrainStepProfile.profile(model, 2, 64, 3,
                    StepMemory.Options.DEFAULT.withCheckpoint(List.of("conv1")), n -> !n.contains("."));
            List<String> events = r.rows().stream().map(TrainStepProfile.Row::event).collect(Collectors.toList());
            List<String> expected = List.of("before the step", "batch", "cnn1", "downSample", "cnn2", "bottle",
                    "change1", "up4", "convert1", "conv4", "change2", "up3", "convert2", "conv3", "up2", "convert3",
                    "conv2", "up1", "convert4", "conv1", "final_conv", "loss", "backward", "recompute conv1",
                    "forward freed", "optimizer");
            assertEquals(expected, events.subList(0, expected.size()));

            double before = arrays(r, "before the step");
            double batchMb = (2 * 3 * 64 * 64 * 4 + 2 * 64 * 64 * 8) / 1024.0 / 1024.0;
            // The batch, and a few small arrays (kilobytes) the engine makes with the random draws.
            assertEquals(batchMb, arrays(r, "batch") - before, 0.01);
            assertTrue(arrays(r, "loss") > arrays(r, "batch") + 1, "the forward's outputs: " + arrays(r, "loss"));
            assertEquals(before, arrays(r, "forward freed"), 1e-9);
            assertEquals(before, arrays(r, "optimizer"), 1e-9);

            double mb = 1024.0 * 1024.0;
            assertEquals(elements * 4 / mb, r.fixed().get("weights (all parameters)"), 1e-9);
            assertEquals(trained * 4 / mb, r.fixed().get("gradients (trained parameters)"), 1e-9);
            assertEquals(2 * trained * 4 / mb, r.fixed().get("Adam state"), 1e-9);
            assertEquals(batchMb, r.fixed().get("batch (images and labels)"), 1e-9);
        }
    }

    private static double arrays(TrainStepProfile.Result r, String event) {
        return r.rows().stream().filter(x -> x.event().equals(event)).findFirst().orElseThrow().arraysMb();
    }
}
