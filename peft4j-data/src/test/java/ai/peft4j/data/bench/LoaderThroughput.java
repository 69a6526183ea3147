package ai.peft4j.data.bench;

import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.Batch;
import ai.peft4j.data.CheckReport;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.PairTransform;
import ai.peft4j.data.transform.TrainAugmentation;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Loader throughput on NEU-Seg (a benchmark, not a test): run with
 * {@code mvn -B -q test -pl peft4j-data -am -Dtest=LoaderThroughput -Dsurefire.failIfNoSpecifiedTests=false
 * -Dpeft4j.bench=true}.
 */
@EnabledIfSystemProperty(named = "peft4j.bench", matches = "true")
class LoaderThroughput {
    private static final VocConfig NEU = VocConfig.of("background", "inclusion", "patches", "scratches");

    @Test
    void neuSeg_trainingAugmentationAt224() {
        VocDataset train = VocDataset.open(SharedFiles.require("data/neu-seg"), "train", NEU);
        for (int workers : new int[] {1, 2}) {
            measure(train, TrainAugmentation.published(224), "train augmentation", workers);
        }
        measure(train, Letterbox.square(224), "letterbox", 2);
        cpuCost(train, TrainAugmentation.published(224));
        long start = System.nanoTime();
        CheckReport report = VocDataset.check(SharedFiles.require("data/neu-seg"), NEU);
        System.out.printf(Locale.ROOT, "check of neu-seg: %d pairs in %.1f s, %d problems%n", report.pairsChecked(),
                (System.nanoTime() - start) / 1e9, report.problems().size());
    }

    /** What checking every file before training costs: headers and file ends, against decoding every pair. */
    @Test
    void neuSeg_fileCheckAgainstFullDecode() {
        VocDataset train = VocDataset.open(SharedFiles.require("data/neu-seg"), "train", NEU);
        train.check();
        for (int round = 0; round < 2; round++) {
            long start = System.nanoTime();
            CheckReport files = train.checkFiles();
            double probe = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            CheckReport full = train.check();
            double decode = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "neu-seg train, %d pairs: file check %.2f s, full decode %.2f s (%.1fx), "
                    + "%d and %d problems%n", files.pairsChecked(), probe, decode, decode / probe,
                    files.problems().size(), full.problems().size());
        }
    }

    /**
     * CPU time of one sample (read, augment, scale to floats) on one thread: what a free core can sustain, whatever
     * else the machine is running while the wall-clock figures are taken.
     */
    private static void cpuCost(VocDataset ds, PairTransform t) {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 2; round++) {
            long start = bean.getCurrentThreadCpuTime();
            int n = 400;
            for (int i = 0; i < n; i++) {
                t.apply(ds.read(i), BatchLoader.sampleRandom(0, 0, i)).toSample();
            }
            double ms = (bean.getCurrentThreadCpuTime() - start) / 1e6 / n;
            System.out.printf(Locale.ROOT, "CPU time per sample (round %d): %.2f ms = %.0f images/s per free core%n",
                    round, ms, 1000 / ms);
        }
    }

    private static void measure(VocDataset ds, PairTransform t, String what, int workers) {
        LoaderConfig config = new LoaderConfig(8, true, 0, workers, 2 * workers, true);
        try (BatchLoader loader = new BatchLoader(ds, t, config)) {
            // Warm-up: decoders and JIT.
            try (BatchLoader.Epoch e = loader.epoch(0)) {
                for (int i = 0; i < 40 && e.hasNext(); i++) {
                    e.next();
                }
            }
            long start = System.nanoTime();
            int images = 0;
            try (BatchLoader.Epoch e = loader.epoch(1)) {
                for (int i = 0; i < 150 && e.hasNext(); i++) {
                    Batch b = e.next();
                    images += b.size();
                }
            }
            double s = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "%s, %d worker(s), batch 8, 224x224: %d images in %.2f s = %.0f images/s%n",
                    what, workers, images, s, images / s);
        }
    }
}
