package ai.peft4j.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.Batch;
import ai.peft4j.data.DataException;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.TrainAugmentation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchLoaderTest {
    /** Pairs of varied sizes whose pixels encode their index; one index may be broken. */
    static class Numbered implements ImageDataset {
        private final int size;
        private final int broken;

        Numbered(int size, int broken) {
            this.size = size;
            this.broken = broken;
        }

        @Override
        public String name() {
            return "numbered";
        }

        @Override
        public List<String> classNames() {
            return List.of("background", "thing");
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public LabelledImage read(int index) {
            if (index == broken) {
                throw new DataException(Path.of("data/SegmentationClass/" + index + ".png"), "mask value 9 at x=0, "
                        + "y=0 is not a class id");
            }
            int w = 10 + index % 7;
            int h = 8 + index % 5;
            RgbImage img = RgbImage.filled(w, h, index, 255 - index, 7);
            int[] mask = new int[w * h];
            mask[0] = 1;
            return new LabelledImage("s" + index, img, mask);
        }
    }

    @Test
    void everySample_appearsExactlyOncePerEpochInBatchesOfTheSetSize() {
        Numbered ds = new Numbered(53, -1);
        try (BatchLoader loader = new BatchLoader(ds, Letterbox.square(16),
                new LoaderConfig(8, true, 3, 2, 3, false))) {
            assertEquals(7, loader.batchesPerEpoch());
            List<List<String>> epochs = new ArrayList<>();
            for (int epoch = 0; epoch < 2; epoch++) {
                List<String> seen = new ArrayList<>();
                int batches = 0;
                try (BatchLoader.Epoch it = loader.epoch(epoch)) {
                    for (Batch b : it) {
                        assertEquals(batches < 6 ? 8 : 5, b.size());
                        assertEquals(16, b.height());
                        assertEquals(b.size() * 3 * 16 * 16, b.images().length);
                        assertEquals(b.size() * 16 * 16, b.masks().length);
                        for (int k = 0; k < b.size(); k++) {
                            // The pixels travel with their id: sample i's red channel is i / 255.
                            int index = Integer.parseInt(b.ids().get(k).substring(1));
                            float red = b.images()[k * 3 * 256 + 8 * 16 + 8];
                            assertEquals(index / 255f, red, 1e-6, b.ids().get(k));
                        }
                        seen.addAll(b.ids());
                        batches++;
                    }
                }
                assertEquals(7, batches);
                assertEquals(53, seen.size());
                assertEquals(53, new HashSet<>(seen).size());
                epochs.add(seen);
            }
            assertNotEquals(epochs.get(0), epochs.get(1), "each epoch has its own order");
        }
    }

    @Test
    void sameSeed_givesIdenticalBatchesWhateverTheWorkerCount() {
        Numbered ds = new Numbered(20, -1);
        List<float[]> one = new ArrayList<>();
        List<float[]> four = new ArrayList<>();
        for (int workers : new int[] {1, 4}) {
            LoaderConfig config = LoaderConfig.training(4).withSeed(11).withWorkers(workers);
            try (BatchLoader loader = new BatchLoader(ds, TrainAugmentation.published(24), config);
                    BatchLoader.Epoch it = loader.epoch(5)) {
                for (Batch b : it) {
                    (workers == 1 ? one : four).add(b.images());
                }
            }
        }
        assertEquals(5, one.size());
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i), four.get(i));
        }
    }

    @Test
    void dropLast_dropsThePartialBatch() {
        try (BatchLoader loader = new BatchLoader(new Numbered(10, -1), Letterbox.square(8),
                new LoaderConfig(4, false, 0, 2, 2, true))) {
            Set<String> seen = new HashSet<>();
            try (BatchLoader.Epoch it = loader.epoch(0)) {
                it.forEachRemaining(b -> seen.addAll(b.ids()));
            }
            assertEquals(Set.of("s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"), seen);
        }
    }

    @Test
    void workerError_reachesTheConsumerNamingTheFile() {
        try (BatchLoader loader = new BatchLoader(new Numbered(40, 13), Letterbox.square(8),
                new LoaderConfig(4, false, 0, 2, 4, false))) {
            List<String> before = new ArrayList<>();
            DataException e = assertThrows(DataException.class, () -> {
                try (BatchLoader.Epoch it = loader.epoch(0)) {
                    for (Batch b : it) {
                        before.addAll(b.ids());
                    }
                }
            });
            assertEquals(Path.of("data/SegmentationClass/13.png"), e.file());
            assertTrue(e.getMessage().startsWith("data/SegmentationClass/13.png: mask value 9"), e.getMessage());
            // Batches before the broken one (indices 0-11) arrived in order.
            assertEquals(12, before.size());
            assertEquals("s11", before.get(11));
            // The loader still serves a fresh epoch after the failed one was closed.
            try (BatchLoader.Epoch again = loader.epoch(1)) {
                assertEquals(List.of("s0", "s1", "s2", "s3"), again.next().ids());
            }
        }
    }

    @Test
    void outOfMemoryWhileLoading_becomesADataExceptionNamingTheFileItsSizeAndWhatToLower(@TempDir Path tmp)
            throws Exception {
        Path big = tmp.resolve("JPEGImages/5.png");
        ImageEncoder.writePng(RgbImage.filled(30, 20, 1, 2, 3), big);
        ImageDataset data = new Numbered(8, -1) {
            @Override
            public LabelledImage read(int index) {
                if (index == 5) {
                    throw new OutOfMemoryError("Java heap space");
                }
                return super.read(index);
            }

            @Override
            public List<Path> files(int index) {
                return List.of(tmp.resolve("JPEGImages/" + index + ".png"));
            }
        };
        try (BatchLoader loader = new BatchLoader(data, Letterbox.square(8), new LoaderConfig(4, false, 0, 2, 4,
                false))) {
            DataException e = assertThrows(DataException.class, () -> {
                try (BatchLoader.Epoch it = loader.epoch(0)) {
                    it.forEachRemaining(b -> { });
                }
            });
            assertEquals(big, e.file());
            assertEquals(big + ": out of memory loading this image (30x20) for numbered in batches of 4 on 2 workers; "
                    + "lower the batch size (training.batch), the loading workers (training.workers) or the image "
                    + "size (model.image_size), or give Java more memory (e.g. JAVA_TOOL_OPTIONS=-Xmx8g)",
                    e.getMessage());
        }
    }

    @Test
    void mixedSizesWithoutTransform_failWithAClearMessage() {
        try (BatchLoader loader = new BatchLoader((ai.peft4j.data.SegmentationDataset) new Numbered(4, -1),
                new LoaderConfig(4, false, 0, 1, 1, false))) {
            DataException e = assertThrows(DataException.class, () -> loader.epoch(0).next());
            assertTrue(e.getMessage().contains("cannot stack s1 (11x9) with s0 (10x8)"), e.getMessage());
        }
    }

    @Test
    void close_stopsTheWorkerThreads() throws Exception {
        BatchLoader loader = new BatchLoader(new Numbered(400, -1), TrainAugmentation.published(64),
                LoaderConfig.training(8));
        BatchLoader.Epoch it = loader.epoch(0);
        it.next();
        loader.close();
        Thread.sleep(50);
        long alive = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("peft4j-loader-") && t.isAlive()).count();
        assertEquals(0, alive);
        assertThrows(IllegalStateException.class, () -> loader.epoch(1));
    }
}
