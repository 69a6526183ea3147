package ai.peft4j.app.config;

/**
 * One run: what to build, what to read, how to train, which method to attach and where the results go. Every key
 * of a YAML run file is a component here, spelled in snake case ({@code image_size}, {@code val_every}).
 *
 * @param output the run directory: checkpoints, logs, curves, adapters and the resolved configuration
 */
public record RunConfig(ModelSection model, DataSection data, TrainingSection training, MethodSection method,
        String output) {
    public RunConfig {
        if (output == null || output.isBlank()) {
            throw new IllegalArgumentException("output (the run directory) is required");
        }
    }
}
