package ai.peft4j.app;

import ai.peft4j.core.testing.SharedFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Small NEU-DET data sets for tests, in NEU-DET's own layout, linked to the shared files. */
final class NeuDetSubset {
    private NeuDetSubset() {}

    /**
     * Writes under {@code dir/neu-det} the first {@code trainPerClass} ids of each class of NEU-DET's train list and
     * the first {@code testPerClass} of its test list, images linked to the shared files, and returns that root.
     */
    static Path write(Path dir, int trainPerClass, int testPerClass) throws Exception {
        Path neu = SharedFiles.require("data/neu-det");
        Path root = dir.resolve("neu-det");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("ImageSets/Main"));
        Files.copy(neu.resolve("classes.txt"), root.resolve("classes.txt"));
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? trainPerClass : testPerClass;
            List<String> picked = new ArrayList<>();
            Files.readAllLines(neu.resolve("ImageSets/Main/" + split + ".txt")).stream().map(String::strip)
                    .filter(id -> !id.isEmpty())
                    .collect(Collectors.groupingBy(id -> id.replaceFirst("_\\d+$", ""), TreeMap::new,
                            Collectors.toList()))
                    .values().forEach(ids -> picked.addAll(ids.subList(0, Math.min(n, ids.size()))));
            for (String id : picked) {
                Files.createSymbolicLink(root.resolve("JPEGImages/" + id + ".jpg"),
                        neu.resolve("JPEGImages/" + id + ".jpg"));
            }
            Files.write(root.resolve("ImageSets/Main/" + split + ".txt"), picked);
        }
        return root;
    }
}
