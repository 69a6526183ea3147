package ai.peft4j.app;

import ai.peft4j.app.config.ConfigOverride;
import java.util.List;
import picocli.CommandLine.Option;

/** How eval and predict slide tiles over an image for a model trained on crops; the run file gives the rest. */
final class TileOptions {
    @Option(names = "--tile-overlap", paramLabel = "SHARE", description = "For a model trained on crops: the share "
            + "of a tile that neighbouring tiles share (--set data.tile_overlap=SHARE; default: the run file's).")
    Double overlap;

    @Option(names = "--tile-batch", defaultValue = "4", paramLabel = "N", description = "For a model trained on "
            + "crops: tiles per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    /** {@code --tile-overlap} as the run-file key it stands for, or nothing when it is not given. */
    List<ConfigOverride> overrides() {
        return overlap == null ? List.of()
                : List.of(ConfigOverride.ofOption("data.tile_overlap", "--tile-overlap", overlap));
    }

    /** Tiles per forward pass, refused below one. */
    int batch() {
        if (batch < 1) {
            throw new IllegalArgumentException("--tile-batch must be at least 1, got " + batch);
        }
        return batch;
    }
}
