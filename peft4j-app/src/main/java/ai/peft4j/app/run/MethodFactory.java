package ai.peft4j.app.run;

import ai.djl.ndarray.NDManager;
import ai.peft4j.peft.MethodCatalog;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLoraConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The fine-tuning method of a run's {@code method} section. Only TP-LoRA takes options: the other methods run with
 * their published settings, which is also what their adapter directories record and reload.
 */
public final class MethodFactory {
    /** TP-LoRA's options as run files spell them. */
    public static final List<String> TPLORA_OPTIONS = List.of("in", "out", "act", "rank", "mlp_ratio", "prompt",
            "prompt_size", "prompt_dataset", "prompt_text", "text_encoder");

    private MethodFactory() {}

    public static PeftMethod create(String name, Map<String, Object> options, NDManager manager)
            throws IOException {
        return create(name, options, manager, new TextPromptSource(null));
    }

    /** As {@link #create(String, Map, NDManager)}, with TP-LoRA's sentence encoded (or read back) by {@code text}. */
    public static PeftMethod create(String name, Map<String, Object> options, NDManager manager,
            TextPromptSource text) throws IOException {
        String n = name.toLowerCase(Locale.ROOT);
        boolean tp = n.startsWith("tplora");
        if (!tp && !options.isEmpty()) {
            throw new IllegalArgumentException("method.options: method '" + name + "' takes no options (it runs "
                    + "with its published settings); got " + new TreeSet<>(options.keySet()));
        }
        if (!tp) {
            return MethodCatalog.create(n, null, null);
        }
        for (String k : options.keySet()) {
            if (!TPLORA_OPTIONS.contains(k)) {
                throw new IllegalArgumentException("method.options: unknown TP-LoRA option '" + k + "' (known: "
                        + String.join(", ", TPLORA_OPTIONS) + ")");
            }
        }
        TpLoraConfig base = n.endsWith("readme") ? TpLoraConfig.readme() : TpLoraConfig.paper();
        TpLoraConfig config = new TpLoraConfig(
                options.containsKey("mlp_ratio") ? number(options, "mlp_ratio").floatValue() : base.mlpRatio(),
                options.containsKey("rank") ? number(options, "rank").intValue() : base.rank(),
                options.containsKey("act") ? TpLoraConfig.Act.parse(text(options, "act")) : base.act(),
                options.containsKey("in") ? TpLoraConfig.In.parse(text(options, "in")) : base.in(),
                options.containsKey("out") ? TpLoraConfig.Out.parse(text(options, "out")) : base.out());
        TextPrompt prompt = text.resolve(options, TextPrompt.BERT_BASE_WIDTH, manager);
        if (prompt != null) {
            // A sentence encoded by BERT here (prompt_text, text_encoder): see TextPromptSource.
        } else if (options.containsKey("prompt")) {
            prompt = TextPrompt.read(Path.of(text(options, "prompt")), TextPrompt.BERT_BASE_WIDTH,
                    options.containsKey("prompt_size") ? text(options, "prompt_size") : "LARGE",
                    options.containsKey("prompt_dataset") ? text(options, "prompt_dataset") : "Orange-Navel", manager);
        } else {
            // Without a sentence embedding the text branch sees zeros: TP-LoRA then trains as a LoRA variant.
            prompt = TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH);
        }
        PeftMethod method = MethodCatalog.create(n, config, prompt);
        text.describe(method);
        return method;
    }

    private static Number number(Map<String, Object> options, String key) {
        Object v = options.get(key);
        if (v instanceof Number num) {
            return num;
        }
        try {
            return Double.valueOf(String.valueOf(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("method.options." + key + ": expected a number, got '" + v + "'");
        }
    }

    private static String text(Map<String, Object> options, String key) {
        return String.valueOf(options.get(key));
    }
}
