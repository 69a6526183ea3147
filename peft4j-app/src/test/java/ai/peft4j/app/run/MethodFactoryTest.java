package ai.peft4j.app.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.qvlora.QueryValueLoraConfig;
import ai.peft4j.peft.tplora.TpLoraConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MethodFactoryTest {
    @Test
    void tploraOptions_overrideThePaperConfiguration() throws Exception {
        PeftMethod m = MethodFactory.create("tplora", Map.of("rank", 4, "in", "ATT", "act", "GeLU"), null);
        assertEquals("tplora", m.name());
        assertEquals(new TpLoraConfig(0.25f, 4, TpLoraConfig.Act.GELU, TpLoraConfig.In.ATT, TpLoraConfig.Out.DEEP),
                m.config());
        PeftMethod paper = MethodFactory.create("tplora", Map.of(), null);
        assertEquals(TpLoraConfig.paper(), paper.config());
        PeftMethod readme = MethodFactory.create("tplora-readme", Map.of(), null);
        assertEquals("tplora", readme.name());
        assertEquals(TpLoraConfig.readme(), readme.config());
    }

    @Test
    void loraRankAndBnStats_areOptionsOfThePublishedLora() throws Exception {
        PeftMethod m = MethodFactory.create("lora", Map.of("rank", 16, "bn_stats", "update"), null);
        assertEquals(new QueryValueLoraConfig(16), m.config());
        assertEquals(BnStats.UPDATE, m.bnStats());
        assertEquals(BnStats.FROZEN, MethodFactory.create("lora", Map.of(), null).bnStats());
        assertEquals(BnStats.UPDATE, MethodFactory.create("full", Map.of(), null).bnStats());
    }

    @Test
    void unknownOptionsMethodsAndOldNames_areRefusedByName() {
        IllegalArgumentException bitfit = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("bitfit", Map.of("rank", 4), null));
        assertEquals("method.options: unknown option rank of method bitfit (known: bn_stats)", bitfit.getMessage());
        IllegalArgumentException tp = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("tplora", Map.of("rnak", 4), null));
        assertEquals("method.options: unknown option rnak of method tplora (known: mlp_ratio, rank, act, in, out, "
                + "bn_stats, prompt, prompt_size, prompt_dataset, prompt_text, text_encoder)", tp.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("lorax", Map.of(), null));
        assertTrue(name.getMessage().startsWith("unknown method 'lorax' (known: full, all-weights, classify, bitfit, "
                + "vpt, "),
                name.getMessage());
        IllegalArgumentException head = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("head", Map.of(), null));
        assertEquals("method 'head' is now called classify", head.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("lora", Map.of("rank", 0), null));
        assertEquals("method.options: LoRA rank must be at least 1, got 0", bad.getMessage());
    }
}
