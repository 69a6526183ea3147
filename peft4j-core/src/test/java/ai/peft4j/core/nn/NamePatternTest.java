package ai.peft4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NamePatternTest {
    @Test
    void glob_starMatchesAnyRunIncludingDots() {
        NamePattern p = NamePattern.of("swin_backbone.*");
        assertTrue(p.test("swin_backbone.layers.0.blocks.1.attn.qkv.weight"));
        assertFalse(p.test("final_conv.weight"));
        assertTrue(NamePattern.of("*.attn.qkv.*").test("swin_backbone.layers.0.blocks.1.attn.qkv.bias"));
        assertFalse(NamePattern.of("*.attn.qkv.*").test("swin_backbone.layers.0.blocks.1.attn.proj.bias"));
        assertTrue(NamePattern.of("final_conv.weight").test("final_conv.weight"));
        assertFalse(NamePattern.of("final_conv.weight").test("final_conv.weightx"));
    }

    @Test
    void glob_dotsAreLiteral() {
        assertFalse(NamePattern.of("a.b").test("aXb"));
    }

    @Test
    void regex_mustMatchWholeName() {
        NamePattern p = NamePattern.of("re:Att[1-4]\\..*");
        assertTrue(p.test("Att3.W_g.0.weight"));
        assertFalse(p.test("xAtt3.W_g.0.weight"));
        assertFalse(p.test("Att5.psi.0.bias"));
    }
}
