package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;
import java.util.Map;

/**
 * The Florence-2 reference fixtures ({@code fixtures/florence2}: microsoft/Florence-2 remote code at 00d2f157,
 * transformers 4.40.2, PEFT 0.10.0): the stored tensors, the JSON description, the tiny model with closed-form
 * weights, and the README's tolerance of 1e-4 absolute.
 */
final class Florence2Fixtures {
    static final double TOLERANCE = 1e-4;
    static final String DIR = "fixtures/florence2/";

    private Florence2Fixtures() {}

    static Map<String, NDArray> tensors(NDManager manager) throws Exception {
        return SafetensorsFile.read(SharedFiles.require(DIR + "florence2_tiny.safetensors"), manager).tensors();
    }

    static JsonNode description() throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require(DIR + "florence2_tiny.json").toFile());
    }

    static JsonNode postprocess() throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require(DIR + "florence2_postprocess.json").toFile());
    }

    /** The tiny model in eval mode, every parameter filled under its first name (the tied table as shared). */
    static Florence2 tinyModel(NDManager manager, int vocabSize) {
        Florence2 model = new Florence2(manager, Florence2Config.fixtureTiny(vocabSize));
        ClosedFormWeights.fill(model);
        model.eval();
        return model;
    }

    /** Asserts closeness and prints the difference, so a run shows how much room the tolerance leaves. */
    static void check(NDArray expected, NDArray actual, String what) {
        System.out.printf(Locale.ROOT, "%s: max |difference| %.3g%n", what, Tensors.maxAbsDiff(expected, actual));
        Tensors.assertClose(expected, actual, TOLERANCE, what);
    }

    static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }
}
