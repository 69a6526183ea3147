package ai.peft4j.train.loop;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.Batch;
import ai.peft4j.data.Sample;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small training run in its own JVM, for {@link ResumeAfterKillTest}: the same command trains or resumes the run
 * in the directory given as first argument. Each batch takes at least 40 ms to "load", so that an epoch lasts long
 * enough for a kill to land inside it. Prints {@code EPOCH_DONE n} after each checkpointed epoch and
 * {@code RESUMED_FROM k} at the end.
 */
public final class KillableRun {
    static final int EPOCHS = 8;

    private KillableRun() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        List<Sample> train = Squares.samples(16, 32, 1);
        BatchSource fast = Squares.shuffled(train, 4, 5);
        BatchSource slow = new BatchSource() {
            @Override
            public Iterable<Batch> epoch(int epoch) {
                List<Batch> out = new ArrayList<>();
                for (Batch b : fast.epoch(epoch)) {
                    out.add(b);
                }
                return () -> new java.util.Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < out.size();
                    }

                    @Override
                    public Batch next() {
                        try {
                            Thread.sleep(40);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return out.get(i++);
                    }
                };
            }

            @Override
            public int batchesPerEpoch() {
                return fast.batchesPerEpoch();
            }
        };
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(11);
            TinySegmenter model = new TinySegmenter(manager);
            TrainingResult r = Trainer.builder().setModel(model)
                    .setConfig(TrainerConfig.builder().setEpochs(EPOCHS).setNumClasses(2).optLearningRate(1e-2)
                            .optEvalPeriod(2).optSeed(3).build())
                    .setTrainData(slow).optValidationData(Squares.fixed(Squares.samples(8, 32, 2), 4))
                    .setOutputDir(dir).optConsole(quiet).optInteractive(false)
                    .optEpochListener(e -> {
                        System.out.println("EPOCH_DONE " + e.epoch());
                        System.out.flush();
                    })
                    .build().fit();
            System.out.println("RESUMED_FROM " + r.resumedFrom());
        }
    }
}
