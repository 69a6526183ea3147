package ai.peft4j.app;

import ai.peft4j.app.config.ConfigOverride;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.train.loss.SegmentationLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The run file and its {@code --set} overrides, shared by the commands that read one. */
final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML run file (sections model, data, "
            + "training, method, output; see configs/ for examples).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Change one key of the run file, e.g. "
            + "--set training.lr=1e-3 or --set data.class_names=[bg,crack]; repeatable, a later one wins. Named "
            + "options such as --epochs are applied after all --set. training.loss takes "
            + SegmentationLoss.KNOWN + "; for rare defect pixels e.g. ce+topk-ce:0.1, dice-present or ce+lovasz.")
    List<String> sets = new ArrayList<>();

    /** The run file with the {@code --set} overrides, then {@code named} (named options win). */
    RunConfigFile resolve(List<ConfigOverride> named) {
        List<ConfigOverride> all = new ArrayList<>();
        for (String s : sets) {
            all.add(ConfigOverride.parse(s));
        }
        all.addAll(named);
        return config == null ? RunConfigFile.defaultsWith(all) : RunConfigFile.read(config, all);
    }

    RunConfigFile require(String command, List<ConfigOverride> named) {
        if (config == null) {
            throw new IllegalArgumentException("peft4j " + command + " needs --config FILE (a YAML run file; see "
                    + "configs/ for examples)");
        }
        return resolve(named);
    }
}
