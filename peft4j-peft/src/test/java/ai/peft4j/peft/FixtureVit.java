package ai.peft4j.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.models.vit.VitConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The fixtures' timm ViT (64x64, dim 64, depth 2, 5 classes) with its base weights, input and reference outputs. */
public final class FixtureVit {
    public final VisionTransformer model;
    public final Map<String, NDArray> reference;

    private FixtureVit(VisionTransformer model, Map<String, NDArray> reference) {
        this.model = model;
        this.reference = reference;
    }

    /** The model in eval mode with {@code base/*} loaded strictly from {@code peft_vit.safetensors}. */
    public static FixtureVit load(NDManager manager) throws IOException {
        return load(manager, VitConfig.fixture(5));
    }

    /** A model of another shape with the fixture's base weights, where they fit. */
    public static FixtureVit load(NDManager manager, VitConfig config) throws IOException {
        Path file = SharedFiles.require("fixtures/peft/peft_vit.safetensors");
        Map<String, NDArray> ref = SafetensorsFile.read(file, manager).tensors();
        Map<String, NDArray> base = new LinkedHashMap<>();
        ref.forEach((k, v) -> {
            if (k.startsWith("base/") && !k.equals("base/output")) {
                base.put(k.substring(5), v);
            }
        });
        VisionTransformer vit = new VisionTransformer(manager, config);
        vit.loadStateDict(base, config.equals(VitConfig.fixture(5)));
        vit.eval();
        return new FixtureVit(vit, ref);
    }

    /** A directory of the shared fixtures, e.g. {@code peft_lora}. */
    public static Path adapterDir(String name) {
        return SharedFiles.require("fixtures/peft/" + name + "/adapter_model.safetensors").getParent();
    }

    public NDArray input() {
        return reference.get("input");
    }

    public NDArray expected(String key) {
        return reference.get(key);
    }

    public NDArray forward() {
        return model.forward(input());
    }
}
