package ai.peft4j.app;

import ai.peft4j.app.detect.Florence2Merge;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j merge}: a Florence-2 checkpoint folder with its LoRA adapter merged in, as a new full folder. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Write a Florence-2 checkpoint folder (task: detection) with an adapter merged into its "
            + "weights, as HF PEFT's merge_and_unload and save_pretrained do: each LoRA update (scaling * B A) is "
            + "added into the weight it adapts and the LoRA tensors are left out. A LoRA on lm_head also changes the "
            + "input token embeddings, which are the same table, as PEFT's merge does.",
            "The result (config.json, model.safetensors in float32, and the base folder's tokenizer and other "
                + "files, copied) is a base like any other: finetune --base, eval and predict --checkpoint take it "
                + "without --adapter. Merges hf-lora adapters (LoRA, DoRA, rsLoRA; peft4j's or HF PEFT's "
                + "directory) and all-weights ones."})
final class MergeCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "The base: the Florence-2 "
            + "checkpoint folder the adapter was trained on (config.json, model.safetensors, tokenizer).")
    Path checkpoint;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The adapter directory "
            + "('peft4j finetune' writes adapter/ and adapter-best/; an HF PEFT LoRA directory also works).")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to write; it must not "
            + "hold a checkpoint yet.")
    Path out;

    @Option(names = "--force-base", description = "Merge even when the checkpoint is not the base the adapter was "
            + "trained on (its base fingerprint differs).")
    boolean forceBase;

    @Override
    public Integer call() throws Exception {
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Florence2Merge.Result r = Florence2Merge.write(checkpoint, adapter, out, forceBase);
        console.printf(Locale.ROOT, "Merged    %s adapter %s into %s: %d LoRA layers merged%n", r.method(), adapter,
                checkpoint, r.mergedLayers());
        console.printf(Locale.ROOT, "Wrote     %s: model.safetensors (%d tensors, the token table once), %s%n", out,
                r.tensors(), String.join(", ", r.copied()));
        return 0;
    }
}
