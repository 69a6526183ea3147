package ai.peft4j.app.run;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model restored for evaluation or prediction: the architecture of a run's model section, the weights of a
 * checkpoint, and optionally an adapter directory on top (which may bring its own head and class count).
 *
 * @param model the module tree, adapter attached
 * @param classes output classes
 * @param adapter the attached adapter, or null
 */
public record TrainedModel(Module model, int classes, Attachment adapter) {
    /**
     * @param fallbackClasses the class count when neither the checkpoint nor the model section gives one (the data
     *     set's)
     * @param forceBase attach the adapter even when the checkpoint is not the base it was trained on
     */
    public static TrainedModel load(ModelSection section, int fallbackClasses, Path checkpoint, Path adapterDir,
            boolean forceBase, NDManager manager) throws IOException {
        return load(section, fallbackClasses, checkpoint, adapterDir, forceBase, null, manager);
    }

    /**
     * As {@link #load(ModelSection, int, Path, Path, boolean, NDManager)}, refusing a TP-LoRA adapter whose text
     * prompt was made by another BERT than {@code textEncoder} (null: not checked), before anything is loaded.
     */
    public static TrainedModel load(ModelSection section, int fallbackClasses, Path checkpoint, Path adapterDir,
            boolean forceBase, Path textEncoder, NDManager manager) throws IOException {
        if (adapterDir != null && textEncoder != null && Files.isDirectory(adapterDir)) {
            TextPromptSource.checkAdapter(adapterDir, textEncoder, TextPromptSource.fingerprint(textEncoder));
        }
        Weights w = Weights.read(checkpoint, manager);
        int classes = w.classes() > 0 ? w.classes() : section.classes() > 0 ? section.classes() : fallbackClasses;
        Module model = SegmentationNet.build(section, classes, manager);
        SegmentationNet.loadStrict(model, w);
        if (adapterDir == null) {
            return new TrainedModel(model, classes, null);
        }
        if (!Files.isDirectory(adapterDir)) {
            throw new IllegalArgumentException(adapterDir + ": adapter directory not found");
        }
        Attachment a = AdapterFiles.load(adapterDir, model, manager, AdapterFiles.LoadOptions.forced(forceBase));
        int own = a.method() instanceof SegmenterMethod sm && sm.classes() > 0 ? sm.classes() : classes;
        return new TrainedModel(model, own, a);
    }
}
