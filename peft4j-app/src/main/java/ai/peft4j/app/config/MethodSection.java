package ai.peft4j.app.config;

import ai.peft4j.peft.MethodRegistry;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The fine-tuning method {@code finetune} attaches.
 *
 * @param name a method of the registry ({@code full}, {@code classify}, {@code bitfit}, {@code vpt}, {@code adapter},
 *     {@code adaptformer}, {@code lora}, {@code convpass}, {@code tplora}, {@code hf-lora}, {@code adalora}) or the
 *     preset {@code tplora-readme}; for {@code task: classification} one of peft-vit's modes ({@code full},
 *     {@code classify}, {@code vit-lora}, {@code vit-top-k}, {@code vit-block}; the old names {@code vit-full} and
 *     {@code vit-linear} still load as {@code full} and {@code classify}); empty when the command line names it
 * @param options the fields of the method's config record (e.g. {@code rank}; TP-LoRA's {@code in}, {@code out},
 *     {@code act}, {@code rank}, {@code mlp_ratio}), TP-LoRA's {@code prompt} (a file, or a published sentence's
 *     name), {@code prompt_size}, {@code prompt_dataset}, {@code prompt_text} (a sentence encoded by BERT) and
 *     {@code text_encoder} (the BERT checkpoint folder), and {@code bn_stats} ({@code frozen} or {@code update})
 *     for every method
 */
public record MethodSection(String name, Map<String, Object> options) {
    public MethodSection {
        // An old name is read as the method it names, so a run written with it resumes under the new one.
        name = name == null ? "" : MethodRegistry.ALIASES.getOrDefault(name.toLowerCase(Locale.ROOT), name);
        options = options == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }
}
