package ai.peft4j.app.run;

import ai.djl.ndarray.NDManager;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.tplora.TextPrompt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fine-tuning method of a run's {@code method} section, through {@link MethodRegistry}: {@code options} are the
 * fields of the method's config record (e.g. {@code rank} for {@code lora}, TP-LoRA's {@code in}, {@code out},
 * {@code act}, {@code rank}, {@code mlp_ratio}), plus {@code bn_stats} (frozen or update) for every method and
 * TP-LoRA's prompt ({@code prompt} file or published sentence name, {@code prompt_size}, {@code prompt_dataset},
 * or {@code prompt_text} encoded by the BERT at {@code text_encoder}). Adapter files record the whole config, so
 * what trains is what reloads.
 */
public final class MethodFactory {
    /** Options of every method besides its config's fields. */
    public static final String BN_STATS = "bn_stats";
    /** TP-LoRA's prompt options, which are data rather than settings. */
    public static final List<String> PROMPT_OPTIONS = List.of("prompt", "prompt_size", "prompt_dataset",
            "prompt_text", "text_encoder");

    private MethodFactory() {}

    /** The method of a run file's section; reads TP-LoRA's prompt file, 48 zero tokens when none is named. */
    public static PeftMethod create(String name, Map<String, Object> options, NDManager manager) throws IOException {
        return create(name, options, manager, new TextPromptSource(null));
    }

    /**
     * As {@link #create(String, Map, NDManager)}, with TP-LoRA's sentence encoded (or read back from the run
     * folder) by {@code text}, which also records the sentence and the encoder in the method.
     */
    public static PeftMethod create(String name, Map<String, Object> options, NDManager manager,
            TextPromptSource text) throws IOException {
        String method = MethodRegistry.methodOf(name);
        Map<String, Object> settings = new LinkedHashMap<>(options);
        Map<String, Object> prompt = new LinkedHashMap<>();
        for (String k : PROMPT_OPTIONS) {
            if (settings.containsKey(k)) {
                prompt.put(k, settings.remove(k));
            }
        }
        if (!prompt.isEmpty() && !method.equals("tplora")) {
            throw new IllegalArgumentException("method.options: " + prompt.keySet() + " apply to tplora only, not "
                    + name);
        }
        TextPrompt p = text.resolve(prompt, TextPrompt.BERT_BASE_WIDTH, manager);
        if (p != null) {
            // A sentence encoded by BERT here (prompt_text, text_encoder, or a published sentence's name).
        } else if (prompt.containsKey("prompt")) {
            p = TextPrompt.read(Path.of(String.valueOf(prompt.get("prompt"))), TextPrompt.BERT_BASE_WIDTH,
                    String.valueOf(prompt.getOrDefault("prompt_size", "LARGE")),
                    String.valueOf(prompt.getOrDefault("prompt_dataset", "Orange-Navel")), manager);
        } else if (method.equals("tplora")) {
            // Without a sentence embedding the text branch sees zeros: TP-LoRA then trains as a LoRA variant.
            p = TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH);
        }
        PeftMethod m = create(name, settings, p, "method.options");
        text.describe(m);
        return m;
    }

    /**
     * The method {@code name} (or preset) with {@code settings} overriding its defaults by their file names, and
     * {@code bn_stats} if given; {@code where} prefixes error messages.
     */
    public static PeftMethod create(String name, Map<String, Object> settings, TextPrompt prompt, String where) {
        Map<String, Object> s = new LinkedHashMap<>(settings);
        Object bn = s.remove(BN_STATS);
        List<String> known = new ArrayList<>(MethodRegistry.settingNames(name));
        List<String> unknown = new ArrayList<>();
        for (String k : s.keySet()) {
            if (!known.contains(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            known.add(BN_STATS);
            if (MethodRegistry.methodOf(name).equals("tplora")) {
                known.addAll(PROMPT_OPTIONS);
            }
            throw new IllegalArgumentException(where + ": unknown option" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + " of method " + name + " (known: " + String.join(", ", known)
                    + ")");
        }
        PeftMethod m;
        try {
            m = MethodRegistry.create(MethodRegistry.methodOf(name), MethodRegistry.configWith(name, s),
                    MethodInputs.prompt(prompt));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        if (bn != null) {
            m.withBnStats(BnStats.parse(String.valueOf(bn)));
        }
        return m;
    }
}
