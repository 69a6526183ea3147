package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.run.TextPromptSource;
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

    @Option(names = "--text-encoder", paramLabel = "DIR", description = "TP-LoRA: the BERT checkpoint folder the "
            + "adapter's text prompt must have been made by (default: method.options.text_encoder of the run file); "
            + "an adapter whose recorded encoder differs is refused. Not needed to run the adapter, which keeps its "
            + "prompt.")
    Path textEncoder;

    /**
     * The model these options name, its class count from the weights, else the run file's model section, else the
     * fallback; a TP-LoRA adapter is checked against the text encoder of {@code --text-encoder} or the run file.
     */
    TrainedModel load(RunConfig run, int fallbackClasses, NDManager manager) throws IOException {
        if (run.promptableTask()) {
            return PromptableRuns.restoreClasses(run, checkpoint, adapter, forceBase, manager);
        }
        return TrainedModel.load(run.model(), fallbackClasses, checkpoint, adapter, forceBase,
                TextPromptSource.encoderOf(textEncoder, run.method().options()), manager);
    }
}
