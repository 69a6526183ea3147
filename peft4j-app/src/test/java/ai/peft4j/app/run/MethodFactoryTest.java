package ai.peft4j.app.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.peft.PeftMethod;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MethodFactoryTest {
    @Test
    void tploraOptions_overrideThePaperConfiguration() throws Exception {
        PeftMethod m = MethodFactory.create("tplora", Map.of("rank", 4, "in", "ATT", "act", "GeLU"), null);
        assertEquals("tplora", m.name());
        assertEquals(4, ((Number) m.settings().get("rank")).intValue());
        assertEquals("ATT", String.valueOf(m.settings().get("in_location")));
        PeftMethod paper = MethodFactory.create("tplora", Map.of(), null);
        assertEquals(8, ((Number) paper.settings().get("rank")).intValue());
    }

    @Test
    void optionsOfOtherMethodsOrUnknownOptions_areRefusedByName() {
        IllegalArgumentException lora = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("lora", Map.of("rank", 4), null));
        assertTrue(lora.getMessage().contains("method 'lora' takes no options"), lora.getMessage());
        IllegalArgumentException tp = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("tplora", Map.of("rnak", 4), null));
        assertTrue(tp.getMessage().contains("unknown TP-LoRA option 'rnak'"), tp.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> MethodFactory.create("lorax", Map.of(), null));
        assertTrue(name.getMessage().contains("unknown method 'lorax'"), name.getMessage());
    }
}
