package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.run.TrainedModel;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The trained model that eval, predict and explain run: a checkpoint, and optionally an adapter on it. */
final class CheckpointOptions {
    @Option(names = "--checkpoint", required = true, paramLabel = "CKPT", description = "Model weights: a "
            + "checkpoint of 'peft4j train' (or the base of an adapter), a safetensors state dict or a PyTorch .pth.")
    Path checkpoint;

    @Option(names = "--adapter", paramLabel = "DIR", description = "Adapter directory of 'peft4j finetune' to "
            + "attach to the checkpoint.")
    Path adapter;

    @Option(names = "--force-base", description = "Attach the adapter even when the checkpoint is not the base it "
            + "was trained on (its base fingerprint differs).")
    boolean forceBase;

    /** The model these options name, its class count from the weights, else the section, else the fallback. */
    TrainedModel load(ModelSection section, int fallbackClasses, NDManager manager) throws IOException {
        return TrainedModel.load(section, fallbackClasses, checkpoint, adapter, forceBase, manager);
    }
}
