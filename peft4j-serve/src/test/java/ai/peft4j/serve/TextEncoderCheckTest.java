package ai.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TextPromptSource;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.models.bert.TinyBert;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.tplora.PublishedPrompts;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service holds TP-LoRA lines to the text encoder of its settings: another encoder's line is refused. */
class TextEncoderCheckTest {
    @TempDir
    Path tmp;

    /** A one-layer, 768-wide BERT folder with the fixture vocabulary; {@code flip} changes one weight byte. */
    private Path bert(String name, boolean flip) throws Exception {
        Path dir = TinyBert.write(tmp.resolve(name), 768, 12, 128, TinyBert.fixtureVocabulary());
        if (flip) {
            TinyBert.flipWeightByte(dir);
        }
        return dir;
    }

    @Test
    void tpLoraLineOfAnotherEncoder_isSkippedAtStartAndRefusedWhenLoaded() throws Exception {
        ServiceFixture fixture = new ServiceFixture(tmp.resolve("service"));
        Path own = bert("own", false);
        Path other = bert("other", true);
        Path line = fixture.adapters.resolve("line-tp");
        try (NDManager m = EngineSetup.newManager()) {
            Module base = SegmentationNet.build(ServiceFixture.section(), 3, m);
            SegmentationNet.loadStrict(base, Weights.read(fixture.checkpoint, m));
            String text = PublishedPrompts.all().get("LARGE/LEMON");
            TextPromptSource.Encoded e = TextPromptSource.encode(text, own, 768, m);
            TpLora method = TpLora.published(TpLoraConfig.readme(), e.prompt())
                    .withPromptSource(text, e.encoderFingerprint());
            AdapterFiles.save(method.attach(base), line);
        }
        String recorded = TextPromptSource.fingerprint(own).substring(0, 12);
        String given = TextPromptSource.fingerprint(other).substring(0, 12);
        String refusal = line.resolve(AdapterFiles.CONFIG) + ": this TP-LoRA adapter's text prompt was made by "
                + "another BERT (text encoder " + recorded + " in prompt_source) than " + other + " (" + given + "); "
                + "give the text encoder it was trained with (--text-encoder, method.options.text_encoder), or leave "
                + "it out, since the adapter keeps its prompt";
        ServeSettings s = fixture.settings();

        List<String> warnings = new ArrayList<>();
        try (InspectionEngine engine = InspectionEngine.load(withEncoder(s, other), x -> { }, warnings)) {
            assertEquals(List.of(refusal + " (line 'line-tp' skipped)"), warnings);
            assertEquals(List.of("line-a", "line-b"), engine.lines().stream().map(ProductLine::name).toList());
            ExecutionException x = assertThrows(ExecutionException.class,
                    () -> engine.call(() -> engine.loadLine("line-tp", line)).get());
            assertInstanceOf(IllegalArgumentException.class, x.getCause());
            assertEquals(refusal, x.getCause().getMessage());
        }
        warnings.clear();
        try (InspectionEngine engine = InspectionEngine.load(withEncoder(s, own), x -> { }, warnings)) {
            assertEquals(List.of(), warnings);
            assertEquals(List.of("line-a", "line-b", "line-tp"),
                    engine.lines().stream().map(ProductLine::name).toList());
            assertEquals("tplora", engine.line("line-tp").method());
        }
    }

    private static ServeSettings withEncoder(ServeSettings s, Path encoder) {
        return new ServeSettings(s.checkpoint(), s.config(), s.adapters(), s.host(), s.port(), s.queue(), s.timeoutMs(),
                s.maxRequestBytes(), s.maxAdapterBytes(), s.maxPixels(), s.threshold(), s.tokenFile(), encoder,
                s.workers());
    }
}
