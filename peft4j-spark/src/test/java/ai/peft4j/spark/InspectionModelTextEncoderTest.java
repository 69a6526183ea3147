package ai.peft4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TextPromptSource;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.models.bert.TinyBert;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executors' model holds TP-LoRA lines to the run file's text encoder, as eval and serve do. */
class InspectionModelTextEncoderTest {
    private static final ModelSection FIXTURE = new ModelSection("swin-att-unet", "swin-fixture", 0, 32, "");
    private static final String SENTENCE = "a lemon defect dataset.";

    @TempDir
    Path tmp;

    /** A one-layer, 768-wide BERT folder with a vocabulary of the sentence's words; {@code flip} changes a byte. */
    private Path bert(String name, boolean flip) throws Exception {
        Path dir = TinyBert.write(tmp.resolve(name), 768, 12, 16, List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]",
                "[MASK]", "a", "lemon", "defect", "dataset", "."));
        if (flip) {
            TinyBert.flipWeightByte(dir);
        }
        return dir;
    }

    private Path runFile(String name, Path encoder) throws Exception {
        return Files.writeString(tmp.resolve(name), """
                model:
                  name: swin-att-unet
                  backbone: swin-fixture
                  image_size: 32
                data:
                  layout: voc
                  root: %s
                  class_names: [background, scratch, patch]
                method:
                  name: tplora
                  options:
                    text_encoder: %s
                output: %s
                """.formatted(tmp.resolve("data"), encoder, tmp.resolve("run")));
    }

    @Test
    void tpLoraLineOfAnotherEncoder_isRefused() throws Exception {
        Path own = bert("own", false);
        Path other = bert("other", true);
        Path base = tmp.resolve("base.safetensors");
        Path adapter = tmp.resolve("lines/lemon");
        try (NDManager m = EngineSetup.newManager()) {
            Module model = SegmentationNet.build(FIXTURE, 3, m);
            SafetensorsFile.write(base, model.stateDict(), Map.of());
            TextPromptSource.Encoded e = TextPromptSource.encode(SENTENCE, own, 768, m);
            AdapterFiles.save(TpLora.published(TpLoraConfig.readme(), e.prompt())
                    .withPromptSource(SENTENCE, e.encoderFingerprint()).attach(model), adapter);
        }
        String lines = tmp.resolve("lines").toString();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> new InspectionModel(
                new ModelSource(base.toString(), runFile("other.yaml", other).toString(), lines, null, 1)));
        assertEquals(adapter.resolve(AdapterFiles.CONFIG) + ": this TP-LoRA adapter's text prompt was made by "
                + "another BERT (text encoder " + TextPromptSource.fingerprint(own).substring(0, 12) + " in "
                + "prompt_source) than " + other + " (" + TextPromptSource.fingerprint(other).substring(0, 12)
                + "); give the text encoder it was trained with (--text-encoder, method.options.text_encoder), or "
                + "leave it out, since the adapter keeps its prompt", x.getMessage());
        try (InspectionModel ok = new InspectionModel(new ModelSource(base.toString(),
                runFile("own.yaml", own).toString(), lines, null, 1))) {
            assertEquals(3, ok.classes("lemon"));
        }
    }
}
