package ai.peft4j.infer.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.peft4j.data.DataException;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderSourceTest {
    @TempDir
    Path tmp;

    @Test
    void folder_givesItsImagesSortedByNameAndSkipsOtherFiles() throws Exception {
        int[] greys = {30, 10, 20};
        String[] names = {"000010.png", "000002.png", "000003.PNG"};
        for (int i = 0; i < 3; i++) {
            ImageEncoder.writePng(RgbImage.filled(4, 2, greys[i], greys[i], greys[i]), tmp.resolve(names[i]));
        }
        Files.writeString(tmp.resolve("notes.txt"), "not an image");
        Files.createDirectory(tmp.resolve("sub.png"));
        List<String> order = new ArrayList<>();
        List<Integer> values = new ArrayList<>();
        try (ImageFolderSource src = ImageFolderSource.open(tmp, 2)) {
            assertEquals(3, src.frameCount());
            for (Frame f; (f = src.next()) != null; ) {
                order.add(f.name());
                values.add(f.image().get(0, 0, 0));
                assertEquals(f.index() / 2.0, f.seconds(), 1e-12);
            }
            assertNull(src.next());
        }
        assertEquals(List.of("000002", "000003", "000010"), order);
        assertEquals(List.of(10, 20, 30), values);
    }

    @Test
    void folderWithoutImages_orMissing_isAnError() throws Exception {
        Files.writeString(tmp.resolve("a.txt"), "x");
        DataException e = assertThrows(DataException.class, () -> ImageFolderSource.open(tmp, 5));
        assertEquals(tmp + ": holds no images (.bmp, .gif, .jpeg, .jpg, .png, .tif, .tiff)", e.getMessage());
        Path none = tmp.resolve("none");
        assertEquals(none + ": folder not found",
                assertThrows(DataException.class, () -> ImageFolderSource.open(none, 5)).getMessage());
    }
}
