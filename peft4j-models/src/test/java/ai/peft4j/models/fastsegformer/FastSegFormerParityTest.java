package ai.peft4j.models.fastsegformer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The students and the teacher against the published PyTorch models ({@code fixtures/fastsegformer}): closed-form
 * weights, eval mode, the {@code fork_feat} maps of the fixture input within 1e-4, and the state dict (keys,
 * shapes, order) and parameter total of the published model.
 */
class FastSegFormerParityTest {
    private static final String DIR = "fixtures/fastsegformer/";
    private static final double TOLERANCE = 1e-4;

    @Test
    void fastsegformerP_matchesPublishedForkMaps() throws Exception {
        checkForkMaps("fastsegformer-p", m -> new FastSegFormer(m, FastSegFormerConfig.p(4)),
                (model, x) -> ((FastSegFormer) model).forkFeatures(x));
    }

    @Test
    void fastsegformerP_stateDictAndTotalMatchPublishedModel() throws Exception {
        checkStateDict("fastsegformer-p", m -> new FastSegFormer(m, FastSegFormerConfig.p(4)));
    }

    @Test
    void fastsegformerE_matchesPublishedForkMaps() throws Exception {
        checkForkMaps("fastsegformer-e", m -> new FastSegFormer(m, FastSegFormerConfig.e(4)),
                (model, x) -> ((FastSegFormer) model).forkFeatures(x));
    }

    @Test
    void fastsegformerE_stateDictAndTotalMatchPublishedModel() throws Exception {
        checkStateDict("fastsegformer-e", m -> new FastSegFormer(m, FastSegFormerConfig.e(4)));
    }

    @Test
    void fastsegformerPPpm_matchesPublishedForkMaps() throws Exception {
        checkForkMaps("fastsegformer-p-ppm", m -> new FastSegFormer(m, PPM), (model, x) -> ((FastSegFormer) model)
                .forkFeatures(x));
    }

    @Test
    void fastsegformerPPpm_stateDictAndTotalMatchPublishedModel() throws Exception {
        checkStateDict("fastsegformer-p-ppm", m -> new FastSegFormer(m, PPM));
    }

    @Test
    void teacherSwinTAttUNet_matchesPublishedForkMaps() throws Exception {
        checkForkMaps("teacher-swin-t-att-unet", m -> new TeacherSwinAttUNet(m, TeacherSwinAttUNetConfig.published(4)),
                (model, x) -> ((TeacherSwinAttUNet) model).forkFeatures(x));
    }

    @Test
    void teacherSwinTAttUNet_stateDictAndTotalMatchPublishedModel() throws Exception {
        checkStateDict("teacher-swin-t-att-unet",
                m -> new TeacherSwinAttUNet(m, TeacherSwinAttUNetConfig.published(4)));
    }

    /** FastSegFormer-P with the pooling pyramid and without the reconstruction branch. */
    private static final FastSegFormerConfig PPM = FastSegFormerConfig.p(4)
            .withPyramid(FastSegFormerConfig.Pyramid.POOLING).withReconstructionBranch(false);

    private static void checkForkMaps(String tag, Function<NDManager, Module> build,
            BiFunction<Module, NDArray, List<NDArray>> fork) throws Exception {
        Path input = SharedFiles.require(DIR + "fastsegformer-p.safetensors");
        Path expected = SharedFiles.require(DIR + tag + ".safetensors");
        JsonNode meta = fixture(tag);
        try (NDManager manager = EngineSetup.newManager()) {
            Module model = build.apply(manager);
            model.eval();
            ClosedFormWeights.fill(model);
            NDArray x = SafetensorsFile.read(input, manager).tensors().get("input");
            assertEquals(new Shape(1, 3, 224, 224), x.getShape());
            Map<String, NDArray> ref = SafetensorsFile.read(expected, manager).tensors();
            List<NDArray> maps = fork.apply(model, x);
            assertEquals(meta.path("fork_shapes").size(), maps.size(), "number of fork maps");
            List<String> report = new ArrayList<>();
            double worst = 0;
            for (JsonNode k : meta.path("stored_fork")) {
                NDArray want = ref.get(tag + "/fork/" + k.asInt());
                NDArray got = maps.get(k.asInt());
                double d = Tensors.maxAbsDiff(want, got);
                worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
                report.add(String.format(Locale.ROOT, "fork/%d %s: %.3g", k.asInt(), got.getShape(), d));
            }
            System.out.println(tag + " max |difference| per fork map: " + String.join(", ", report));
            for (JsonNode k : meta.path("stored_fork")) {
                Tensors.assertClose(ref.get(tag + "/fork/" + k.asInt()), maps.get(k.asInt()), TOLERANCE,
                        tag + "/fork/" + k.asInt() + " (all: " + String.join(", ", report) + ")");
            }
        }
    }

    private static void checkStateDict(String tag, Function<NDManager, Module> build) throws Exception {
        JsonNode meta = fixture(tag);
        Map<String, Shape> expected = new LinkedHashMap<>();
        for (JsonNode entry : meta.path("state_dict")) {
            long[] dims = new long[entry.get(1).size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = entry.get(1).get(i).asLong();
            }
            expected.put(entry.get(0).asText(), new Shape(dims));
        }
        try (NDManager manager = EngineSetup.newManager()) {
            Module model = build.apply(manager);
            Map<String, Shape> actual = new LinkedHashMap<>();
            model.stateDict().forEach((k, v) -> actual.put(k, v.getShape()));
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), "state-dict keys in order");
            assertEquals(expected, actual, "state-dict shapes");
            assertEquals(meta.path("total").asLong(), model.parameterCount(), "parameter total");
        }
    }

    private static JsonNode fixture(String tag) throws Exception {
        Path json = SharedFiles.require(DIR + "fastsegformer.json");
        return new ObjectMapper().readTree(json.toFile()).path(tag);
    }
}
