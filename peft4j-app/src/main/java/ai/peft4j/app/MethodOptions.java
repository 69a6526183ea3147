package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.MethodFactory;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.tplora.TextPrompt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options that choose a fine-tuning method, shared by every command that attaches one. */
final class MethodOptions {
    @Option(names = "--method", description = "Fine-tuning method: full, classify, bitfit, adapter, adaptformer, "
            + "lora (published q/v LoRA), convpass, vpt (224x224 inputs), tplora (paper configuration), "
            + "tplora-readme (preset: tplora with in ATT), hf-lora (HF PEFT's LoRA on qkv), adalora.")
    String method;

    @Option(names = "--prompt", description = "TP-LoRA text prompt: BERT token embeddings [seq, 768] as "
            + "safetensors, or the published prompt_vector.json (with --prompt-size/--prompt-dataset). Without it, "
            + "counting commands use 48 zero tokens.")
    Path prompt;

    @Option(names = "--prompt-size", defaultValue = "LARGE", description = "Entry of prompt_vector.json: TINY, "
            + "BASE or LARGE (default: ${DEFAULT-VALUE}).")
    String promptSize;

    @Option(names = "--prompt-dataset", defaultValue = "Orange-Navel", description = "Entry of prompt_vector.json "
            + "(default: ${DEFAULT-VALUE}).")
    String promptDataset;

    @Option(names = "--tp-in", description = "TP-LoRA in_location: ATT, MLP or ATT+MLP.")
    String tpIn;

    @Option(names = "--tp-out", description = "TP-LoRA out_location: ALL, DEEP or BASE.")
    String tpOut;

    @Option(names = "--tp-act", description = "TP-LoRA activation: LoRA, ReLU or GeLU.")
    String tpAct;

    @Option(names = "--tp-rank", description = "TP-LoRA rank (lora_dim).")
    Integer tpRank;

    @Option(names = "--tp-mlp-ratio", description = "TP-LoRA text MLP width relative to the rank (mlp_dim).")
    Float tpMlpRatio;

    @Option(names = "--vpt-size", description = "VPT: side of the square input its decoder prompt maps are made "
            + "for (the published code fixes 224).")
    Integer vptSize;

    boolean chosen() {
        return method != null;
    }

    /** The method, with a zero prompt when {@code promptOptional} and none was given. */
    PeftMethod build(NDManager manager, boolean promptOptional) throws IOException {
        TextPrompt p = null;
        if (prompt != null) {
            p = TextPrompt.read(prompt, TextPrompt.BERT_BASE_WIDTH, promptSize, promptDataset, manager);
        } else if (promptOptional) {
            p = TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH);
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        putIf(settings, "in", tpIn);
        putIf(settings, "out", tpOut);
        putIf(settings, "act", tpAct);
        putIf(settings, "rank", tpRank);
        putIf(settings, "mlp_ratio", tpMlpRatio);
        if (!settings.isEmpty() && !"tplora".equals(MethodRegistry.methodOf(method))) {
            throw new IllegalArgumentException("--tp-* options apply to --method tplora only");
        }
        if (vptSize != null) {
            if (!"vpt".equals(MethodRegistry.methodOf(method))) {
                throw new IllegalArgumentException("--vpt-size applies to --method vpt only");
            }
            settings.put("input_size", vptSize);
        }
        return MethodFactory.create(method, settings, p, "--method " + method);
    }

    private static void putIf(Map<String, Object> settings, String key, Object value) {
        if (value != null) {
            settings.put(key, value);
        }
    }
}
