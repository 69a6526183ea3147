package ai.peft4j.app;

import ai.peft4j.app.detect.BoxJsonl;
import ai.peft4j.app.detect.Florence2Starter;
import ai.peft4j.app.detect.VocBoxes;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.models.florence2.DetectionAnswer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code peft4j boxes}: VOC detection folders as Florence-2 box JSON lines, and a fresh Florence-2 to train. */
@Command(name = "boxes", mixinStandardHelpOptions = true,
        description = {"Write box data for Florence-2 (task: detection): one JSON line per image, "
            + "{\"prefix\": \"<OD>\", \"suffix\": \"label<loc_x1><loc_y1><loc_x2><loc_y2>...\", \"image\": PATH}, "
            + "from a Pascal VOC detection folder (JPEGImages, Annotations, ImageSets/Main/<split>.txt), e.g. "
            + "NEU-DET. Coordinates are quantised into 1,000 bins per side as the Florence-2 processor does (floor); "
            + "VOC's 1-based inclusive boxes are read as the span [xmin - 1, xmax].",
            "With --starter DIR it also writes a Florence-2 checkpoint folder with fresh (random) weights and a "
                + "small byte-level vocabulary made for the data's labels, to train from scratch where no "
                + "pretrained Florence-2 is at hand (finetune --base DIR)."})
final class BoxesCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "VOC", description = "The VOC detection folder.")
    Path voc;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for <split>.jsonl "
            + "(image paths are written relative to it).")
    Path out;

    @Option(names = "--splits", split = ",", defaultValue = "train,val,test", paramLabel = "LIST",
            description = "Split lists to convert (default: ${DEFAULT-VALUE}).")
    List<String> splits;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Keep the first N images of "
            + "each split (0: all), for quick trials.")
    int limit;

    @Option(names = "--starter", paramLabel = "DIR", description = "Also write a Florence-2 checkpoint folder "
            + "with fresh weights here (config.json, model.safetensors, vocab.json, merges.txt).")
    Path starter;

    @Option(names = "--preset", defaultValue = "tiny", paramLabel = "NAME", description = "Shape of --starter: "
            + "tiny (the fixtures' shape, 64x64 images), small (its widths times four, 128x128 images) or base "
            + "(Florence-2-base, 768x768) (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of --starter's weights (default: "
            + "${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be 0 (all) or positive, got " + limit);
        }
        Florence2Starter.preset(preset, 2000);
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        List<List<ObjectNode>> all = new ArrayList<>();
        TreeSet<String> labels = new TreeSet<>();
        for (String split : splits) {
            List<ObjectNode> lines = VocBoxes.lines(voc, split, out);
            if (limit > 0 && lines.size() > limit) {
                lines = new ArrayList<>(lines.subList(0, limit));
            }
            for (ObjectNode l : lines) {
                labels.addAll(DetectionAnswer.parse(l.get("suffix").asText(), 1, 1).labels());
            }
            all.add(lines);
        }
        InputFiles inputs = InputFiles.of(List.of(voc));
        for (int i = 0; i < splits.size(); i++) {
            Path file = out.resolve(splits.get(i) + ".jsonl");
            inputs.refuseOverwrite(file, "choose an --out folder outside the data set");
            BoxJsonl.write(file, all.get(i));
            console.printf(Locale.ROOT, "Wrote     %s: %d images%n", file, all.get(i).size());
        }
        console.printf("Labels    %s%n", String.join(", ", labels));
        if (starter != null) {
            if (Files.exists(starter.resolve("model.safetensors"))) {
                throw new IllegalArgumentException(starter + " already holds a model.safetensors; choose a new "
                        + "--starter folder");
            }
            long params = Florence2Starter.write(starter, preset, labels, seed);
            console.printf(Locale.ROOT, "Starter   %s: Florence-2 %s, %,d parameters, fresh weights (seed %d)%n",
                    starter, preset, params, seed);
        }
        return 0;
    }
}
