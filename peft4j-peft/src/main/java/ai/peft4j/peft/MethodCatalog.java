package ai.peft4j.peft;

import ai.peft4j.peft.adaptformer.AdaptFormer;
import ai.peft4j.peft.bitfit.BitFit;
import ai.peft4j.peft.convpass.Convpass;
import ai.peft4j.peft.full.FullFineTuning;
import ai.peft4j.peft.full.HeadOnly;
import ai.peft4j.peft.houlsby.HoulsbyAdapter;
import ai.peft4j.peft.qvlora.QueryValueLora;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import ai.peft4j.peft.vpt.Vpt;
import java.util.List;
import java.util.Locale;

/** The methods of the TP-LoRA comparison by the names the command line and configuration files use. */
public final class MethodCatalog {
    /** Method names, in the order of the published table. */
    public static final List<String> NAMES = List.of("full", "classify", "bitfit", "vpt", "adapter", "adaptformer", "lora",
            "convpass", "tplora");

    private MethodCatalog() {}

    /**
     * The method of that name with its published settings. TP-LoRA takes {@code tplora} (the paper's
     * configuration) or {@code tplora-readme}, with {@code tp} overriding it when given, and needs a prompt.
     */
    public static PeftMethod create(String name, TpLoraConfig tp, TextPrompt prompt) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "full": return FullFineTuning.published();
            case "classify": case "head": return HeadOnly.published();
            case "bitfit": return BitFit.published();
            case "vpt": return Vpt.published();
            case "adapter": return HoulsbyAdapter.published();
            case "adaptformer": return AdaptFormer.published();
            case "lora": return QueryValueLora.published();
            case "convpass": return Convpass.published();
            case "tplora": case "tplora-paper":
                return TpLora.published(tp != null ? tp : TpLoraConfig.paper(), requirePrompt(prompt));
            case "tplora-readme":
                return TpLora.published(tp != null ? tp : TpLoraConfig.readme(), requirePrompt(prompt));
            default:
                throw new IllegalArgumentException("unknown method '" + name + "' (known: " + String.join(", ", NAMES)
                        + ", tplora-readme)");
        }
    }

    private static TextPrompt requirePrompt(TextPrompt prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("TP-LoRA needs a text prompt: BERT token embeddings [seq, 768] "
                    + "(--prompt FILE)");
        }
        return prompt;
    }
}
