package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TrainedModel;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.progress.ProgressBar;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.infer.explain.CamMethod;
import ai.peft4j.infer.explain.ClassActivationMaps;
import ai.peft4j.infer.explain.Explanation;
import ai.peft4j.infer.explain.ExplanationGrid;
import ai.peft4j.infer.explain.HeatMap;
import ai.peft4j.infer.explain.ModuleMap;
import ai.peft4j.infer.render.Overlay;
import ai.peft4j.infer.segment.LetterboxPreprocess;
import ai.peft4j.infer.segment.ModelInput;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code peft4j explain}: LayerCAM or Grad-CAM heat maps of chosen modules for the predicted defect classes. */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show where a trained model (and adapter) looks when it predicts a defect class: LayerCAM or "
                + "Grad-CAM maps of chosen modules, as the published visualization.py draws them.",
            "The target is the class's logit summed over the pixels predicted as that class; a module's map "
                + "combines its output with the target's gradient with respect to it, scaled to [0, 1].",
            "Writes, per image, <out>/<image>/<module>_<class>.png (the jet heat map over the image at alpha 0.4, "
                + "at the image's own size) and <out>/<image>/grid.png (a row per module: the image, the prediction, "
                + "a map per class), and <out>/explain.json (which modules and classes were mapped, which modules "
                + "were skipped and why).",
            "The model comes from a run file: --config, or else the config.yaml that train/finetune left beside "
                + "the adapter's run or the checkpoint."})
final class ExplainCommand implements Callable<Integer> {
    /** Swin-Att-UNet's decoder stages, coarse to fine, and its classifier, as the published script maps them. */
    private static final List<String> DECODER = List.of("conv4", "conv3", "conv2", "conv1", "final_conv");

    @Parameters(arity = "0..*", paramLabel = "IMAGE|DIR", description = "Images, or folders of images.")
    List<Path> inputs;

    @Mixin
    CheckpointOptions weights;

    @Option(names = "--modules", paramLabel = "PATTERN", description = "Modules to map, by dotted name; '*' matches "
            + "any run of characters, dots included (e.g. final_conv, '*.adapter_up', "
            + "'swin_backbone.layers.0.*.mlp'; 'conv*' also takes convert1 and all inside conv1), 're:' starts a "
            + "regular expression (e.g. 're:conv[1-4]'). Repeatable. Default: the "
            + "decoder stages conv4..conv1 and final_conv where the model has them, else its top-level modules.")
    List<String> modules;

    @Option(names = "--class", paramLabel = "NAME|INDEX", description = "Class to explain, by name or index. "
            + "Repeatable. Default: each defect class (not 0) predicted in the image.")
    List<String> classes;

    @Option(names = "--method", defaultValue = "layercam", paramLabel = "layercam|gradcam", description = "LayerCAM "
            + "(each position weighted by its positive gradient) or Grad-CAM (each channel by its mean gradient); "
            + "default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        CamMethod cam = CamMethod.of(method);
        RunConfig c = PredictCommand.runConfig(config, weights.checkpoint, weights.adapter);
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("nothing to explain: give images or folders of images");
        }
        List<Path> images = PredictCommand.images(inputs);
        List<Path> read = new ArrayList<>(images);
        read.add(weights.checkpoint);
        InputFiles inputFiles = InputFiles.of(read);
        Map<Path, Path> folders = new LinkedHashMap<>();
        for (Path file : images) {
            folders.put(file, ContainedPath.resolve(out, PredictCommand.stem(file), "image name"));
        }
        Palette palette = RunData.palette(c.data());
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("method", cam.key());
        root.put("checkpoint", weights.checkpoint.toString());
        root.put("adapter", weights.adapter == null ? null : weights.adapter.toString());
        ArrayNode done = root.putArray("images");
        List<Path> skipped = new ArrayList<>();
        int maps = 0;
        try (NDManager m = EngineSetup.newManager()) {
            TrainedModel tm = weights.load(c, c.data().classNames().size(), m);
            List<String> names = classNames(c.data().classNames(), tm.classes());
            List<Integer> chosen = classes == null ? null : classIndices(classes, names);
            Module model = tm.model();
            List<String> patterns = modules == null || modules.isEmpty() ? defaultModules(model) : modules;
            Letterbox letterbox = Letterbox.square(c.model().imageSize());
            LetterboxPreprocess preprocess = new LetterboxPreprocess(letterbox);
            try (ClassActivationMaps cams = open(model, cam, patterns);
                    ProgressBar bar = new ProgressBar(console, "Explaining", images.size(),
                            images.size() > 1 && ProgressBar.isTerminal())) {
                root.set("modules", json.valueToTree(cams.modules()));
                for (int i = 0; i < images.size(); i++) {
                    Path file = images.get(i);
                    RgbImage image;
                    try {
                        image = ImageDecoder.readRgb(file);
                    } catch (DataException e) {
                        // One bad file in a folder should not cost the others their maps.
                        System.err.println("warning: " + e.getMessage() + "; skipped");
                        skipped.add(file);
                        continue;
                    }
                    ObjectNode entry = done.addObject();
                    entry.put("image", file.toString());
                    maps += explainImage(cams, image, preprocess.prepare(image), folders.get(file), chosen, names,
                            palette, inputFiles, m, entry);
                    bar.update(i + 1, file.getFileName().toString());
                }
            }
        }
        Files.createDirectories(out);
        AtomicFiles.write(out.resolve("explain.json"), o -> o.write(root.toPrettyString()
                .getBytes(StandardCharsets.UTF_8)));
        console.printf("%d images, %d maps (%s) -> %s%n", images.size() - skipped.size(), maps, cam.key(), out);
        if (!skipped.isEmpty()) {
            throw new DataException(null, skipped.size() + " of " + images.size() + " images skipped as unreadable ("
                    + skipped.get(0) + (skipped.size() > 1 ? " and " + (skipped.size() - 1) + " more, named above"
                            : "") + "); the other " + (images.size() - skipped.size()) + " were explained");
        }
        return 0;
    }

    private static <M extends Module & Layer> ClassActivationMaps open(Module model, CamMethod cam,
            List<String> patterns) {
        M layer = SegmentationNet.layer(model);
        return ClassActivationMaps.of(layer, cam, patterns);
    }

    /** Maps every chosen class of one image; returns how many heat maps were written. */
    private static int explainImage(ClassActivationMaps cams, RgbImage image, ModelInput input, Path folder,
            List<Integer> chosen, List<String> names, Palette palette, InputFiles inputFiles, NDManager manager,
            ObjectNode entry) throws Exception {
        Files.createDirectories(folder);
        entry.put("folder", folder.toString());
        int written = 0;
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(input.pixels(), new Shape(1, 3, input.height(), input.width()));
            int[] classMap = cams.classMap(x);
            int[] inImage = inImage(classMap, input);
            List<Integer> explained = chosen != null ? chosen : present(inImage, names.size());
            ArrayNode classNodes = entry.putArray("classes");
            RgbImage[][] tiles = new RgbImage[cams.modules().size()][explained.size()];
            List<String> rows = new ArrayList<>(cams.modules());
            Map<String, String> skipped = new LinkedHashMap<>();
            for (int k = 0; k < explained.size(); k++) {
                int cls = explained.get(k);
                // The published target: the class's logit over the pixels of the whole input predicted as it.
                float[] pixels = new float[classMap.length];
                for (int q = 0; q < classMap.length; q++) {
                    pixels[q] = classMap[q] == cls ? 1f : 0f;
                }
                Explanation e = cams.explain(x, cls, pixels);
                ObjectNode cn = classNodes.addObject();
                cn.put("index", cls);
                cn.put("name", names.get(cls));
                cn.put("pixels", e.targetPixels());
                if (e.targetPixels() == 0) {
                    System.err.println("warning: " + folder.getFileName() + ": class '" + names.get(cls) + "' is "
                            + "predicted nowhere in the image; its maps are empty");
                }
                ArrayNode mapNodes = cn.putArray("maps");
                for (ModuleMap mm : e.maps()) {
                    RgbImage picture = HeatMap.onImage(mm, input.placement(), image.width(), image.height())
                            .over(image, HeatMap.ALPHA);
                    Path target = ContainedPath.resolve(folder, fileName(mm.module() + "_" + names.get(cls)),
                            ".png", "module and class name");
                    inputFiles.refuseOverwrite(target, "choose an --out folder that holds no inputs");
                    ImageEncoder.writePng(picture, target);
                    written++;
                    tiles[rows.indexOf(mm.module())][k] = picture;
                    ObjectNode mn = mapNodes.addObject();
                    mn.put("module", mm.module());
                    mn.put("file", folder.getFileName() + "/" + target.getFileName());
                    mn.put("layout", mm.layout().kind());
                    mn.put("grid", mm.layout().height() + "x" + mm.layout().width());
                    mn.put("peak", mm.peak());
                }
                skipped.putAll(e.skipped());
            }
            entry.set("skipped_modules", new ObjectMapper().valueToTree(skipped));
            rows.removeAll(skipped.keySet());
            RgbImage[][] shown = new RgbImage[rows.size()][];
            for (int r = 0; r < rows.size(); r++) {
                shown[r] = tiles[cams.modules().indexOf(rows.get(r))];
            }
            Path grid = folder.resolve("grid.png");
            inputFiles.refuseOverwrite(grid, "choose an --out folder that holds no inputs");
            ExplanationGrid.write(grid, image, Overlay.blendDefects(image, inImage, palette, Overlay.ALPHA),
                    explained.stream().map(names::get).toList(), rows, shown);
        }
        return written;
    }

    /** The class map of the image's own pixels, sampled from the letterboxed input's (nearest pixel centre). */
    private static int[] inImage(int[] classMap, ModelInput input) {
        Letterbox.Placement p = input.placement();
        int fw = input.frameWidth();
        int fh = input.frameHeight();
        int[] out = new int[fw * fh];
        for (int y = 0; y < fh; y++) {
            int gy = Math.min(input.height() - 1, p.top() + (int) ((y + 0.5) * p.scaledHeight() / fh));
            for (int x = 0; x < fw; x++) {
                int gx = Math.min(input.width() - 1, p.left() + (int) ((x + 0.5) * p.scaledWidth() / fw));
                out[y * fw + x] = classMap[gy * input.width() + gx];
            }
        }
        return out;
    }

    private static List<Integer> present(int[] classMap, int classes) {
        boolean[] seen = new boolean[classes];
        for (int v : classMap) {
            seen[v] = true;
        }
        List<Integer> out = new ArrayList<>();
        for (int k = 1; k < classes; k++) {
            if (seen[k]) {
                out.add(k);
            }
        }
        return out;
    }

    /** A class or module name as a file name: anything but letters, digits, '.', '-' and '_' becomes '_'. */
    static String fileName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static List<String> classNames(List<String> configured, int classes) {
        if (configured.size() == classes) {
            return configured;
        }
        List<String> out = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            out.add("class" + k);
        }
        return out;
    }

    private static List<Integer> classIndices(List<String> given, List<String> names) {
        List<Integer> out = new ArrayList<>();
        for (String g : given) {
            int index = names.indexOf(g);
            if (index < 0 && g.matches("\\d+")) {
                index = Integer.parseInt(g);
                if (index >= names.size()) {
                    throw new IllegalArgumentException("--class " + g + ": the model has " + names.size()
                            + " classes (0.." + (names.size() - 1) + ")");
                }
            }
            if (index < 0) {
                throw new IllegalArgumentException("--class " + g + ": no such class; the classes are "
                        + String.join(", ", names) + " (or their indices 0.." + (names.size() - 1) + ")");
            }
            if (!out.contains(index)) {
                out.add(index);
            }
        }
        return out;
    }

    private static List<String> defaultModules(Module model) {
        if (DECODER.stream().allMatch(model::hasChild)) {
            return DECODER;
        }
        return List.copyOf(model.children().keySet());
    }
}
