package ai.peft4j.spark;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TextPromptSource;
import ai.peft4j.app.run.TrainedModel;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.AdapterSet;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One executor's model: the base weights loaded once, every product line's adapter attached to it through an
 * {@link AdapterSet} (switching lines swaps a few modules, never the base), and one {@link Predictor}, exactly as
 * {@code peft4j predict} builds it. Forward passes are serialised: the executor's tasks share the model, and
 * libtorch's own threads use the cores.
 */
public final class InspectionModel implements AutoCloseable {
    private final NDManager manager;
    private final AdapterSet lines;
    private final Predictor predictor;
    private final int baseClasses;
    private final Map<String, Integer> lineClasses = new LinkedHashMap<>();
    private final String defaultLine;
    private final List<String> classNames;
    private final Palette palette;

    InspectionModel(ModelSource source) {
        Path checkpoint = ModelSource.local(source.checkpoint(), "checkpoint");
        RunConfig c = runConfig(source, checkpoint);
        manager = EngineSetup.newManager();
        try {
            TrainedModel base = TrainedModel.load(c.model(), c.data().classNames().size(), checkpoint, null, false,
                    manager);
            baseClasses = base.classes();
            lines = new AdapterSet(base.model());
            String single = null;
            if (source.adapters() != null) {
                Path dir = ModelSource.local(source.adapters(), "adapter folder");
                List<Path> found = adapterDirs(dir);
                // TP-LoRA lines are held to the run file's text encoder, when it names one.
                Path encoder = TextPromptSource.encoderOf(null, c.method().options());
                String fingerprint = encoder == null ? null : TextPromptSource.fingerprint(encoder);
                for (Path a : found) {
                    if (encoder != null) {
                        TextPromptSource.checkAdapter(a, encoder, fingerprint);
                    }
                    String name = a.getFileName().toString();
                    Attachment at = lines.load(name, a, manager);
                    lineClasses.put(name, at.method() instanceof SegmenterMethod sm && sm.classes() > 0
                            ? sm.classes() : baseClasses);
                }
                single = found.size() == 1 && found.get(0).equals(dir) ? found.get(0).getFileName().toString()
                        : null;
                lines.deactivateAll();
            }
            defaultLine = single;
            predictor = SegmentationNet.predictor(c, base.model(), source.tileBatch()).build();
        } catch (IOException e) {
            manager.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        classNames = c.data().classNames();
        palette = RunData.palette(c.data());
    }

    private static RunConfig runConfig(ModelSource source, Path checkpoint) {
        if (source.config() != null) {
            return RunConfigFile.read(ModelSource.local(source.config(), "run file"), List.of()).config();
        }
        Path beside = checkpoint.toAbsolutePath().getParent().resolve(RunConfigFile.RESOLVED);
        if (!Files.isRegularFile(beside)) {
            throw new IllegalArgumentException("which model is in " + checkpoint + "? No " + RunConfigFile.RESOLVED
                    + " beside it; give the run file (setConfig, or --config)");
        }
        return RunConfigFile.read(beside, List.of()).config();
    }

    /** The directory itself when it holds an adapter, else its sub-folders that do, by name. */
    private static List<Path> adapterDirs(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve(AdapterFiles.CONFIG))) {
            return List.of(dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not an adapter folder (give a directory of 'peft4j "
                    + "finetune', or a folder of such directories, one per product line)");
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(dir)) {
            found = s.filter(p -> Files.isRegularFile(p.resolve(AdapterFiles.CONFIG))).sorted().toList();
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException(dir + ": no adapters here (looked for " + AdapterFiles.CONFIG
                    + " in the folder and its sub-folders, one per product line)");
        }
        return found;
    }

    /** The product lines (adapters) this model can switch to. */
    public List<String> lines() {
        return List.copyOf(lineClasses.keySet());
    }

    /** The line a row without one gets: the only adapter when a single adapter directory was given, else null. */
    public String defaultLine() {
        return defaultLine;
    }

    /** Output classes of {@code line} (null: the base model). */
    public int classes(String line) {
        return line == null ? baseClasses : lineClasses.get(line);
    }

    /** Class names by id, or {@code class k} where the run file's names do not fit the line's class count. */
    public List<String> classNames(String line) {
        int n = classes(line);
        if (classNames.size() == n) {
            return classNames;
        }
        List<String> names = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            names.add("class " + k);
        }
        return Collections.unmodifiableList(names);
    }

    public Palette palette() {
        return palette;
    }

    /** Throws when {@code line} is neither null (the base model) nor a loaded line. */
    public void requireLine(String line) {
        if (line != null && !lineClasses.containsKey(line)) {
            throw new IllegalArgumentException("unknown line '" + line + "' in the line column (have: "
                    + (lineClasses.isEmpty() ? "none: no adapters were given" : String.join(", ", lineClasses.keySet()))
                    + ")");
        }
    }

    /** A class map, or why an image got none. */
    public record Outcome(Prediction prediction, String error) {}

    /**
     * Class maps of images, {@code lineOf.get(i)} choosing the adapter of {@code images.get(i)}; the images of one
     * line run together, so a batch switches adapters at most once per line. An image the model cannot take (the
     * engine refuses its shape, say) gets an error and the others go on.
     */
    public synchronized List<Outcome> predict(List<RgbImage> images, List<String> lineOf) {
        Outcome[] out = new Outcome[images.size()];
        Map<String, List<Integer>> byLine = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
            byLine.computeIfAbsent(lineOf.get(i) == null ? "" : lineOf.get(i), k -> new ArrayList<>()).add(i);
        }
        for (Map.Entry<String, List<Integer>> e : byLine.entrySet()) {
            if (e.getKey().isEmpty()) {
                lines.deactivateAll();
            } else {
                lines.activate(e.getKey());
            }
            for (int i : e.getValue()) {
                try {
                    out[i] = new Outcome(predictor.predict(images.get(i)), null);
                } catch (RuntimeException ex) {
                    out[i] = new Outcome(null, images.get(i).width() + "x" + images.get(i).height() + " image: "
                            + ex.getMessage());
                }
            }
        }
        return List.of(out);
    }

    @Override
    public synchronized void close() {
        predictor.close();
        manager.close();
    }
}
