package ai.peft4j.spark;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.infer.predict.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A small NEU-Seg model with fixed weights, no training: a Swin-Att-UNet on the fixture backbone at 32x32 with the
 * closed-form weights of the reference fixtures, its head's bias shifted by the mean logit of each class over eight
 * training images. Without the shift one class wins every pixel; with it all four classes are predicted, so a
 * confusion matrix compared cell by cell tells evaluations apart.
 */
final class NeuSegModel {
    static final List<String> CLASSES = List.of("background", "inclusion", "patches", "scratches");

    final Path checkpoint;
    final Path runFile;

    private NeuSegModel(Path checkpoint, Path runFile) {
        this.checkpoint = checkpoint;
        this.runFile = runFile;
    }

    /** Writes {@code dir}/model.safetensors and its run file ({@code dir}/config.yaml) for the data set {@code neu}. */
    static NeuSegModel write(Path dir, Path neu) throws Exception {
        Files.createDirectories(dir);
        Path runFile = dir.resolve(RunConfigFile.RESOLVED);
        Files.writeString(runFile, """
                model:
                  name: swin-att-unet
                  backbone: swin-fixture
                  image_size: 32
                data:
                  layout: voc
                  root: %s
                  class_names: [background, inclusion, patches, scratches]
                output: %s
                """.formatted(neu, dir.resolve("unused")));
        Path checkpoint = dir.resolve("model.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            Module model = SegmentationNet.build(RunConfigFile.read(runFile, List.of()).config().model(),
                    CLASSES.size(), m);
            ClosedFormWeights.fill(model);
            int k = CLASSES.size();
            double[] mean = new double[k];
            Module head = model.module("final_conv");
            Module.HookHandle hook = head.addForwardHook((mod, in, out) -> {
                float[] v = out.toFloatArray();
                int hw = v.length / k;
                for (int c = 0; c < k; c++) {
                    for (int i = 0; i < hw; i++) {
                        mean[c] += v[c * hw + i] / hw / 8;
                    }
                }
                return out;
            });
            List<String> ids = Files.readAllLines(neu.resolve("ImageSets/Segmentation/train.txt")).subList(0, 8);
            try (Predictor p = Predictor.builder().setModel(SegmentationNet.layer(model)).setInputSize(32).build()) {
                for (String id : ids) {
                    p.predict(ImageDecoder.readRgb(neu.resolve("JPEGImages/" + id.strip() + ".jpg")));
                }
            }
            hook.remove();
            float[] bias = head.parameter("bias").data().toFloatArray();
            for (int c = 0; c < k; c++) {
                bias[c] -= (float) mean[c];
            }
            head.parameter("bias").replace(m.create(bias, new Shape(k)));
            SafetensorsFile.write(checkpoint, model.stateDict(), Map.of("format", "pt"));
        }
        return new NeuSegModel(checkpoint, runFile);
    }
}
