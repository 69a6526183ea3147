package ai.peft4j.peft.adalora;

import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** AdaLoRA as HF PEFT defines it, on the Linear modules named by {@code target_modules}. */
public final class AdaLora implements PeftMethod {
    private final AdaLoraConfig config;

    public AdaLora(AdaLoraConfig config) {
        this.config = config;
    }

    public AdaLoraConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "adalora";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("init_r", config.initR());
        s.put("target_r", config.targetR());
        s.put("lora_alpha", config.loraAlpha());
        s.put("lora_dropout", config.loraDropout());
        s.put("target_modules", config.targetModules().toString());
        s.put("tinit", config.tinit());
        s.put("tfinal", config.tfinal());
        s.put("deltaT", config.deltaT());
        s.put("total_step", config.totalStep());
        s.put("beta1", config.beta1());
        s.put("beta2", config.beta2());
        s.put("orth_reg_weight", config.orthRegWeight());
        return s;
    }

    @Override
    public Attachment attach(Module model) {
        return apply(model).attachment();
    }

    /** Attaches to {@code model}; the adapter carries its rank allocator and orthogonality penalty. */
    public AdaLoraAdapter apply(Module model) {
        List<String> targets = config.targetModules().require(model, "AdaLoRA", Linear.class);
        for (String path : targets) {
            Module m = model.module(path);
            if (!(m instanceof Linear)) {
                throw new IllegalArgumentException("AdaLoRA target '" + path + "' is a "
                        + m.getClass().getSimpleName() + "; AdaLoRA adapts Linear modules, so narrow target_modules "
                        + config.targetModules() + " to those");
            }
        }
        Attachment attachment = new Attachment(model, this);
        Map<String, AdaLoraLayer> layers = new LinkedHashMap<>();
        try {
            for (String path : targets) {
                int rank = config.rankOf(path);
                if (rank > 0) {
                    layers.put(path, AdaLoraLayer.attach(attachment, path, rank, config.initR(), config.scaling(),
                            (float) config.loraDropout()));
                }
            }
        } catch (RuntimeException e) {
            attachment.deactivate(); // no half-attached adapter stays behind
            throw e;
        }
        attachment.markTrainable();
        return new AdaLoraAdapter(config, attachment, layers);
    }
}
