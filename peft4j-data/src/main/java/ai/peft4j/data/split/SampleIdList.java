package ai.peft4j.data.split;

import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.DataException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A split list file: one sample id per line. An id is the whole line, inner spaces included, with the whitespace
 * around it stripped; blank lines are skipped. Every id is a relative name inside the data folder
 * ({@link ContainedPath}), so a line can neither read nor write outside it. What {@link #write} writes,
 * {@link #read} reads back id for id.
 */
public final class SampleIdList {
    /** An id and the line (from 1) it was read from. */
    public record Entry(String id, int line) {}

    private SampleIdList() {}

    /**
     * The ids of {@code list} in order.
     *
     * @param layout what ids name in this layout, added to the message of a refused id (e.g. {@code "ids are file
     *     names relative to JPEGImages and SegmentationClass"})
     * @throws DataException naming the file and line of the first refused id, or a missing or unreadable list
     */
    public static List<Entry> read(Path list, String layout) {
        if (!Files.isRegularFile(list)) {
            throw new DataException(list, "split list not found; write the lists with 'peft4j split'");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DataException(list, "cannot be read as UTF-8 text: " + e.getMessage(), e);
        }
        List<Entry> ids = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            // A list saved by a Windows editor may start with a byte-order mark, which is not part of the id.
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            String id = line.strip();
            if (id.isEmpty()) {
                continue;
            }
            String problem = ContainedPath.problem(id);
            if (problem != null) {
                throw new DataException(list, "line " + (i + 1) + ": sample id '" + ContainedPath.printable(id)
                        + "' " + problem + "; " + layout);
            }
            ids.add(new Entry(id, i + 1));
        }
        return ids;
    }

    /** The ids of {@code list} without their lines. */
    public static List<String> readIds(Path list, String layout) {
        return read(list, layout).stream().map(Entry::id).toList();
    }

    /** Why {@code id} cannot be written to a list and read back as itself, or null when it can. */
    public static String problem(String id) {
        String problem = ContainedPath.problem(id);
        if (problem == null && !id.equals(id.strip())) {
            problem = "begins or ends with whitespace, which a split list cannot keep";
        }
        return problem;
    }

    /** The file's content: one id per line, each line ended by {@code \n}. */
    public static String text(List<String> ids) {
        StringBuilder sb = new StringBuilder();
        for (String id : ids) {
            String problem = problem(id);
            if (problem != null) {
                throw new IllegalArgumentException("sample id '" + ContainedPath.printable(id) + "' " + problem
                        + "; rename its files");
            }
            sb.append(id).append('\n');
        }
        return sb.toString();
    }

    /** Writes {@code ids} to {@code file} atomically; an id that would not read back as itself is refused first. */
    public static void write(Path file, List<String> ids) throws IOException {
        byte[] bytes = text(ids).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }
}
