package ai.peft4j.app.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fine-tuning method {@code finetune} attaches.
 *
 * @param name a method of the TP-LoRA comparison ({@code full}, {@code classify}, {@code bitfit}, {@code adapter},
 *     {@code adaptformer}, {@code lora}, {@code convpass}, {@code tplora}, {@code tplora-readme}); empty when the
 *     command line names it
 * @param options the method's options; TP-LoRA takes {@code in}, {@code out}, {@code act}, {@code rank},
 *     {@code mlp_ratio}, {@code prompt} (a file, or a published sentence's name), {@code prompt_size},
 *     {@code prompt_dataset}, {@code prompt_text} (a sentence encoded by BERT) and {@code text_encoder} (the BERT
 *     checkpoint folder); the other methods run with their published settings and take none
 */
public record MethodSection(String name, Map<String, Object> options) {
    public MethodSection {
        name = name == null ? "" : name;
        options = options == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }
}
