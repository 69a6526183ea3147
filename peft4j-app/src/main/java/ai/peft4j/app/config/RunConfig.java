package ai.peft4j.app.config;

import java.util.List;
import java.util.Locale;

/**
 * One run: what to build, what to read, how to train, which method to attach and where the results go. Every key
 * of a YAML run file is a component here, spelled in snake case ({@code image_size}, {@code val_every}).
 *
 * @param task {@code segmentation} (a mask per image), {@code classification} (a class per image, a ViT),
 *     {@code promptable} (one binary mask per prompt, a model of the SAM family) or {@code detection} (labelled
 *     boxes written as text by Florence-2, from box JSON lines)
 * @param classification the classification task's transforms and loss options
 * @param promptable how a promptable segmenter ({@code task: promptable}) is prompted and trained
 * @param output the run directory: checkpoints, logs, curves, adapters and the resolved configuration
 */
public record RunConfig(String task, ModelSection model, DataSection data, TrainingSection training,
        MethodSection method, ClassificationSection classification, PromptableSection promptable, String output) {
    public static final List<String> TASKS = List.of("segmentation", "classification", "promptable", "detection");
    private static final List<String> CLASSIFICATION_LAYOUTS = List.of("image-folder", "name-class");

    public RunConfig {
        task = task == null ? "segmentation" : task.toLowerCase(Locale.ROOT);
        if (!TASKS.contains(task)) {
            throw new SettingException("task", "task must be segmentation, classification, promptable or detection, "
                    + "got '" + task + "'");
        }
        if (output == null || output.isBlank()) {
            throw new IllegalArgumentException("output (the run directory) is required");
        }
        boolean detecting = task.equals("detection");
        if (detecting != data.layout().equals("jsonl")) {
            throw new SettingException("data.layout", "data.layout " + data.layout() + " does not fit task " + task
                    + (detecting ? ", which reads jsonl (box JSON lines, <split>.jsonl in data.root)"
                    : "; jsonl is for task: detection"));
        }
        boolean classifying = task.equals("classification");
        if (!detecting && classifying != CLASSIFICATION_LAYOUTS.contains(data.layout())) {
            throw new SettingException("data.layout", "data.layout " + data.layout() + " does not fit task " + task
                    + ", which reads " + (classifying ? "image-folder or name-class" : "voc or folder"));
        }
    }

    /** Whether the run trains a promptable segmenter (SAM, MobileSAM, EfficientSAM). */
    public boolean promptableTask() {
        return task.equals("promptable");
    }

    /** Whether the run detects boxes written as text (Florence-2 on box JSON lines). */
    public boolean detects() {
        return task.equals("detection");
    }

    public boolean classifies() {
        return task.equals("classification");
    }
}
