package ai.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.core.nn.BatchNormRecalibration;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.core.progress.ProgressBar;
import ai.peft4j.data.Batch;
import ai.peft4j.train.loss.SegmentationLoss;
import ai.peft4j.train.optim.GradientClipping;
import ai.peft4j.train.optim.Optimizer;
import ai.peft4j.train.report.EpochRecord;
import ai.peft4j.train.report.TrainingCurves;
import ai.peft4j.train.report.TrainingLog;
import ai.peft4j.train.schedule.LearningRateSchedule;
import ai.peft4j.train.schedule.PerStepSchedule;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Trains the trainable parameters of a model, one epoch at a time, as the published {@code fit_one_epoch} does:
 * the learning rate set per epoch from the schedule, a loss per batch, validation every few epochs, and after every
 * epoch a {@code last} checkpoint (and a {@code best} one when the epoch is the best so far) and the CSV log, and
 * the curves after each validation. A run whose output directory already holds a {@code last} checkpoint continues from it, so a killed run
 * restarted with the same command loses at most the epoch it was in.
 *
 * <p>What a step minimises is an {@link Objective}: by default the configured loss of the model's logits; a
 * distillation objective (teacher features and logits, trainable projections saved beside the model) plugs into
 * the same loop, checkpoints and resume.
 *
 * <p>Each step runs in its own scope, so the step's arrays (activations, the graph, gradient handles) are freed
 * when it ends, and parameters are updated in place; within the step a {@link StepMemory} frees what backward does
 * not need as the forward goes.
 *
 * <pre>{@code
 * TrainingResult r = Trainer.builder()
 *         .setModel(model)
 *         .setConfig(TrainerConfig.builder().setEpochs(50).setNumClasses(6).build())
 *         .setTrainData(trainLoader)
 *         .optValidationData(valLoader)
 *         .setOutputDir(Path.of("runs/lemon"))
 *         .build()
 *         .fit();
 * }</pre>
 */
public final class Trainer {
    public static final String LAST = "last.safetensors";
    public static final String BEST = "best.safetensors";
    public static final String LOG = "history.csv";
    public static final String CURVES = "curves.png";

    private final Module module;
    private final Layer layer;
    private final TrainerConfig config;
    private final BatchSource trainData;
    private final BatchSource validationData;
    private final Path outputDir;
    private final PrintStream console;
    private final boolean interactive;
    private final boolean resume;
    private final List<String> classNames;
    private final Consumer<EpochRecord> onEpoch;
    private final SegmentationLoss loss;
    private final Objective objective;
    private final Map<String, String> metadata;
    private final StepMemory.Options memory;
    private final int microBatch;
    private final StepHook stepHook;
    private long globalStep;

    private Trainer(Builder b) {
        this.module = b.module;
        this.layer = b.layer;
        this.config = b.config;
        this.trainData = b.trainData;
        this.validationData = b.validationData;
        this.outputDir = b.outputDir;
        this.console = b.console;
        this.interactive = b.interactive == null ? ProgressBar.isTerminal() : b.interactive;
        this.resume = b.resume;
        this.metadata = Map.copyOf(b.metadata);
        this.memory = b.memory;
        this.microBatch = b.microBatch;
        List<String> names = b.classNames;
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i < config.numClasses(); i++) {
                names.add(Integer.toString(i));
            }
        }
        this.classNames = List.copyOf(names);
        this.onEpoch = b.onEpoch;
        this.stepHook = b.stepHook;
        this.loss = config.newLoss();
        this.objective = b.objective != null ? b.objective : Objective.supervised(layer, loss);
        for (String name : objective.auxiliaryModules().keySet()) {
            if (name.isEmpty() || name.contains("/") || name.contains(".") || (name + "/").equals(
                    Checkpoint.OPTIMIZER_PREFIX)) {
                throw new IllegalArgumentException("invalid auxiliary module name '" + name + "'");
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public TrainerConfig config() {
        return config;
    }

    /**
     * Trains until {@link TrainerConfig#epochs()} epochs are done, resuming from the output directory's last
     * checkpoint when there is one.
     *
     * @throws TrainingDivergedException when a loss or gradient norm is not finite
     * @throws IOException when a checkpoint or report cannot be written, or a checkpoint to resume cannot be read
     */
    public TrainingResult fit() throws IOException {
        // Before anything is written: there must be statistics to re-estimate.
        if (config.bnRecalibrate() > 0 && BatchNormRecalibration.updatingLayers(module).isEmpty()) {
            throw new IllegalArgumentException("bn_recalibrate " + config.bnRecalibrate() + ": no BatchNorm "
                    + "layer of the model updates its statistics (the model has none, or the method holds them "
                    + "frozen: bn_stats frozen)");
        }
        Files.createDirectories(outputDir);
        Path lastFile = outputDir.resolve(LAST);
        Path bestFile = outputDir.resolve(BEST);
        Optimizer optimizer = config.newOptimizer(trainedParameters());
        for (Parameter p : optimizer.parameters().values()) {
            p.attachGradient();
        }
        LearningRateSchedule schedule = config.schedule(config.epochs());
        int perEpoch = trainData.batchesPerEpoch();
        if (config.perStepSchedule() && perEpoch < 1) {
            throw new IllegalStateException("schedule " + config.schedule() + " needs the number of batches per "
                    + "epoch, which this training data does not say");
        }
        PerStepSchedule perStep = config.perStepSchedule() ? config.stepSchedule(perEpoch) : null;
        List<EpochRecord> history = new ArrayList<>();
        int start = 0;
        int bestEpoch = 0;
        double bestScore = Double.NaN;
        if (resume && Files.exists(lastFile)) {
            try (NDManager tmp = EngineSetup.newManager()) {
                Checkpoint c = Checkpoint.read(lastFile, tmp);
                if (!config.toJson().equals(c.configJson())) {
                    throw new IllegalStateException(outputDir + " holds a run with another configuration:\n  saved: "
                            + c.configJson() + "\n  now:   " + config.toJson() + "\nUse a new output directory, "
                            + "or the saved configuration to resume it.");
                }
                loadTrainedState(c.modelState());
                optimizer.loadStateDict(c.optimizerState());
                history.addAll(c.history());
                start = c.epochsDone();
                bestEpoch = c.bestEpoch();
                bestScore = c.bestScore();
            }
            console.printf(Locale.ROOT, "Resuming %s after epoch %d of %d%n", outputDir, start, config.epochs());
        } else {
            // A fresh run must not report the best checkpoint of an earlier run in the same directory.
            Files.deleteIfExists(bestFile);
        }
        long stepNanos = 0;
        int steps = 0;
        try (NDManager data = EngineSetup.newManager()) {
            for (int epoch = start; epoch < config.epochs(); epoch++) {
                long t0 = System.nanoTime();
                EngineSetup.seed(Checkpoint.epochSeed(config.seed(), epoch));
                // A per-step schedule reports the rate the epoch starts at.
                double lr = perStep != null ? perStep.learningRate((long) epoch * perEpoch)
                        : schedule.learningRate(epoch);
                optimizer.setLearningRate(lr);
                module.train(true);
                objective.auxiliaryModules().values().forEach(a -> a.train(true));
                double lossSum = 0;
                int n = 0;
                String label = String.format(Locale.ROOT, "Epoch %d/%d", epoch + 1, config.epochs());
                Path intact = Files.exists(lastFile) ? lastFile : null;
                try (ProgressBar bar = new ProgressBar(console, label, trainData.batchesPerEpoch(), interactive)) {
                    Iterator<Batch> it = trainData.epoch(epoch).iterator();
                    try {
                        while (it.hasNext()) {
                            Batch batch = it.next();
                            double stepLr = lr;
                            if (perStep != null) {
                                stepLr = perStep.learningRate((long) epoch * perEpoch + n);
                                optimizer.setLearningRate(stepLr);
                            }
                            long s0 = System.nanoTime();
                            // Without a known epoch length the count starts again at 0 when a run resumes.
                            globalStep = perEpoch > 0 ? (long) epoch * perEpoch + n : steps;
                            double value = trainStep(data, batch, optimizer, epoch + 1, n + 1, stepLr, intact);
                            stepNanos += System.nanoTime() - s0;
                            steps++;
                            lossSum += value;
                            n++;
                            bar.update(n, String.format(Locale.ROOT, "loss %.4f  lr %.2e", lossSum / n, stepLr));
                        }
                    } finally {
                        if (it instanceof AutoCloseable) {
                            closeQuietly((AutoCloseable) it);
                        }
                    }
                    if (n == 0) {
                        throw new IllegalStateException("epoch " + (epoch + 1) + " had no training batches; is the "
                                + "training set empty or smaller than one batch?");
                    }
                    Double valLoss = null;
                    SegmentationScores scores = null;
                    boolean evaluate = validationData != null
                            && ((epoch + 1) % config.evalPeriod() == 0 || epoch + 1 == config.epochs());
                    if (config.bnRecalibrate() > 0 && (evaluate || epoch + 1 == config.epochs())) {
                        bar.status("recalibrating BatchNorm statistics");
                        int fed = recalibrateBatchNorm(epoch);
                        bar.status(String.format(Locale.ROOT, "loss %.4f  lr %.2e  BatchNorm statistics from %d "
                                + "batches", lossSum / n, lr, fed));
                    }
                    if (evaluate) {
                        Evaluation ev = evaluate(validationData);
                        valLoss = ev.loss();
                        scores = ev.scores();
                        bar.status(String.format(Locale.ROOT, "loss %.4f  val %.4f  mIoU %.2f%%", lossSum / n,
                                valLoss, 100 * scores.meanIou()) + neverPredicted(ev.matrix()));
                    }
                    EpochRecord rec = new EpochRecord(epoch + 1, lr, lossSum / n, valLoss, scores,
                            (System.nanoTime() - t0) / 1e9);
                    history.add(rec);
                    if (evaluate) {
                        double score = config.bestBy() == BestBy.MIOU ? scores.meanIou() : -valLoss;
                        if (bestEpoch == 0 || score >= bestScore) {
                            bestEpoch = epoch + 1;
                            bestScore = score;
                            writeCheckpoint(bestFile, optimizer, epoch + 1, history, bestEpoch, bestScore);
                        }
                    }
                    writeCheckpoint(lastFile, optimizer, epoch + 1, history, bestEpoch, bestScore);
                    TrainingLog.write(outputDir.resolve(LOG), history, classNames);
                    if (stepHook != null) {
                        stepHook.afterEpoch(epoch + 1);
                    }
                    // Drawing takes a few hundred milliseconds: redraw when there are new metrics, and at the end.
                    if (evaluate || epoch + 1 == config.epochs()) {
                        TrainingCurves.write(outputDir.resolve(CURVES), history,
                                outputDir.getFileName().toString());
                    }
                }
                if (onEpoch != null) {
                    onEpoch.accept(history.get(history.size() - 1));
                }
            }
        }
        if (start >= config.epochs()) {
            console.printf(Locale.ROOT, "%s: all %d epochs were already done%n", outputDir, config.epochs());
        }
        return new TrainingResult(List.copyOf(history), start, bestEpoch, bestScore, lastFile,
                bestEpoch > 0 ? bestFile : null, steps == 0 ? Double.NaN : stepNanos / 1e9 / steps);
    }

    /**
     * The validation classes that the model never predicted, for the epoch's line (empty when it predicted every
     * class the split holds): "never predicted: Blowhole, Crack" says more than an mIoU that looks merely low.
     */
    String neverPredicted(ConfusionMatrix matrix) {
        int[] missing = matrix.neverPredicted();
        if (missing.length == 0) {
            return "";
        }
        StringBuilder out = new StringBuilder("  never predicted: ");
        for (int i = 0; i < missing.length; i++) {
            int c = missing[i];
            out.append(i > 0 ? ", " : "").append(c < classNames.size() ? classNames.get(c) : "class " + c);
        }
        return out.toString();
    }

    private double trainStep(NDManager data, Batch batch, Optimizer optimizer, int epoch, int step, double lr,
            Path lastCheckpoint) {
        double value = 0;
        int n = batch.size();
        int part = microBatch > 0 && microBatch < n ? microBatch : n;
        // The batch and the forward's arrays are freed when backward is done, before the update's temporaries.
        try (NDManager m = data.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = images(m, batch);
            NDArray y = objective.labels(m, batch);
            if (part < n && (y.getShape().dimension() == 0 || y.getShape().get(0) != n)) {
                throw new IllegalStateException("micro-batches need labels with one row per image; this objective's "
                        + "labels are " + y.getShape() + " for " + n + " images");
            }
            // Micro-batches: each part's loss, weighted by its share of the batch, goes through backward on its own
            // and the gradients add up; only one part's activations exist at a time.
            for (int from = 0; from < n; from += part) {
                int to = Math.min(n, from + part);
                try (NDManager pm = m.newSubManager()) {
                    NDArray xs = part == n ? x : slice(x, from, to, pm);
                    NDArray ys = part == n ? y : slice(y, from, to, pm);
                    try (StepMemory memory = StepMemory.open(module, this.memory);
                            GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                        NDArray l = objective.loss(xs, ys);
                        if (part < n) {
                            l = Scalars.mul(l, (float) (to - from) / n);
                        }
                        NDArray penalty = stepHook == null || from > 0 ? null : stepHook.penalty(pm);
                        if (penalty != null) {
                            l = l.add(penalty);
                        }
                        double partValue = l.getFloat();
                        value += partValue;
                        if (!Double.isFinite(partValue)) {
                            optimizer.zeroGrad();
                            throw new TrainingDivergedException("the training loss", value, epoch, step, batch.ids(),
                                    lr, Objects.toString(lastCheckpoint, null));
                        }
                        memory.backward(l);
                    }
                }
            }
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            // Checked every step, clipping or not: a finite loss can still give a NaN gradient, which would
            // silently turn every weight into NaN.
            double norm = config.gradClipNorm() > 0
                    ? GradientClipping.clipByGlobalNorm(optimizer.parameters().values(), config.gradClipNorm())
                    : GradientClipping.globalNorm(optimizer.parameters().values());
            if (!Double.isFinite(norm)) {
                String where = GradientClipping.firstNonFinite(optimizer.parameters());
                optimizer.zeroGrad();
                throw new TrainingDivergedException("the gradient norm (first non-finite at " + where + ")", norm,
                        epoch, step, batch.ids(), lr, Objects.toString(lastCheckpoint, null));
            }
            optimizer.step();
            if (stepHook == null) {
                optimizer.zeroGrad();
                return value;
            }
        }
        // Outside the step's scope, which would free what the hook keeps across steps (AdaLoRA's averages).
        stepHook.afterStep(globalStep, epoch);
        optimizer.zeroGrad();
        return value;
    }

    /**
     * Sets the running statistics of the model's updating BatchNorm layers to their averages over the first
     * {@link TrainerConfig#bnRecalibrate()} training batches of epoch {@code epoch} (continuing into the next
     * epochs' batches when one epoch has fewer), run through the objective's training loss in training mode
     * without gradients.
     *
     * @return how many batches were fed
     */
    public int recalibrateBatchNorm(int epoch) {
        var feed = new Object() {
            Iterator<Batch> it;
            int nextEpoch = epoch;
        };
        try (NDManager data = EngineSetup.newManager()) {
            return BatchNormRecalibration.recalibrate(module, config.bnRecalibrate(), () -> {
                if (feed.it == null || !feed.it.hasNext()) {
                    if (feed.it != null) {
                        closeIfCloseable(feed.it);
                    }
                    feed.it = trainData.epoch(feed.nextEpoch++).iterator();
                    if (!feed.it.hasNext()) {
                        return false;
                    }
                }
                Batch batch = feed.it.next();
                try (NDManager m = data.newSubManager(); NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    // The training step's own forward (its loss, not validation's logits, which may slide windows
                    // over each image one at a time), so that the statistics are those of training batches.
                    objective.loss(images(m, batch), objective.labels(m, batch));
                }
                return true;
            });
        } finally {
            if (feed.it != null) {
                closeIfCloseable(feed.it);
            }
        }
    }

    private static void closeIfCloseable(Iterator<?> it) {
        if (it instanceof AutoCloseable c) {
            closeQuietly(c);
        }
    }

    /**
     * The mean loss and the confusion matrix of the model (in eval mode) on {@code source}'s epoch-0 batches; the
     * model's training mode is restored afterwards.
     */
    public Evaluation evaluate(BatchSource source) {
        boolean wasTraining = module.isTraining();
        module.eval();
        ConfusionMatrix cm = new ConfusionMatrix(config.numClasses());
        double lossSum = 0;
        int n = 0;
        try (NDManager data = EngineSetup.newManager()) {
            for (Batch batch : source.epoch(0)) {
                try (NDManager m = data.newSubManager(); NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray labels = objective.labels(m, batch);
                    Objective.Validation v = objective.validate(images(m, batch), labels);
                    lossSum += (v.loss() != null ? v.loss() : loss.compute(v.logits(), labels)).getFloat();
                    n++;
                    cm.add(batch.masks(), v.predictions());
                }
            }
        } finally {
            module.train(wasTraining);
        }
        if (n == 0) {
            throw new IllegalStateException("no validation batches; is the validation set empty?");
        }
        return new Evaluation(lossSum / n, cm);
    }

    private void writeCheckpoint(Path file, Optimizer optimizer, int epochsDone, List<EpochRecord> history,
            int bestEpoch, double bestScore) throws IOException {
        try (NDManager tmp = EngineSetup.newManager()) {
            Map<String, NDArray> opt = optimizer.stateDict(tmp);
            Checkpoint.write(file, trainedState(), opt, epochsDone, config.toJson(), config.seed(), history,
                    bestEpoch, bestScore, metadata);
        }
    }

    /** The model's parameters, then each auxiliary module's under its prefix (the optimiser's names). */
    private Map<String, Parameter> trainedParameters() {
        Map<String, Parameter> all = new LinkedHashMap<>(module.namedParameters());
        objective.auxiliaryModules().forEach((name, m) -> m.namedParameters()
                .forEach((k, p) -> all.put(name + "/" + k, p)));
        return all;
    }

    private Map<String, NDArray> trainedState() {
        Map<String, NDArray> all = new LinkedHashMap<>(module.stateDict());
        objective.auxiliaryModules().forEach((name, m) -> m.stateDict().forEach((k, v) -> all.put(name + "/" + k,
                v)));
        return all;
    }

    /** Loads a checkpoint's state into the model and the auxiliary modules, each strictly. */
    private void loadTrainedState(Map<String, NDArray> saved) {
        Map<String, Map<String, NDArray>> aux = new LinkedHashMap<>();
        objective.auxiliaryModules().keySet().forEach(n -> aux.put(n, new LinkedHashMap<>()));
        Map<String, NDArray> own = new LinkedHashMap<>();
        saved.forEach((k, v) -> {
            int slash = k.indexOf('/');
            Map<String, NDArray> target = slash > 0 ? aux.get(k.substring(0, slash)) : null;
            if (target != null) {
                target.put(k.substring(slash + 1), v);
            } else {
                own.put(k, v);
            }
        });
        module.loadStateDict(own, true);
        objective.auxiliaryModules().forEach((n, m) -> m.loadStateDict(aux.get(n), true));
    }

    /** Rows {@code [from, to)} of {@code a}, a view owned by {@code owner}, so what is computed from it is too. */
    private static NDArray slice(NDArray a, int from, int to, NDManager owner) {
        NDArray s = a.get(new ai.djl.ndarray.index.NDIndex("{}:{}", from, to));
        s.attach(owner);
        return s;
    }

    private static NDArray images(NDManager m, Batch b) {
        return m.create(b.images(), new Shape(b.size(), 3, b.height(), b.width()));
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw e instanceof RuntimeException ? (RuntimeException) e : new UncheckedIOException(
                    new IOException("closing the batch loader failed: " + e.getMessage(), e));
        }
    }

    /** Settings in DJL's style: {@code setX} for what is required, {@code optX} for the rest. */
    public static final class Builder {
        private Module module;
        private Layer layer;
        private TrainerConfig config;
        private BatchSource trainData;
        private BatchSource validationData;
        private Path outputDir;
        private PrintStream console = System.out;
        private Boolean interactive;
        private boolean resume = true;
        private List<String> classNames;
        private Consumer<EpochRecord> onEpoch;
        private Objective objective;
        private Map<String, String> metadata = Map.of();
        private StepHook stepHook;
        private StepMemory.Options memory = StepMemory.Options.DEFAULT;
        private int microBatch;

        /** The model: a module tree whose forward maps images {@code [N, 3, H, W]} to logits. */
        public <M extends Module & Layer> Builder setModel(M model) {
            this.module = model;
            this.layer = model;
            return this;
        }

        public Builder setConfig(TrainerConfig config) {
            this.config = config;
            return this;
        }

        public Builder setTrainData(BatchSource trainData) {
            this.trainData = trainData;
            return this;
        }

        /** Validation batches; without them no metrics are computed and no best checkpoint is kept. */
        public Builder optValidationData(BatchSource validationData) {
            this.validationData = validationData;
            return this;
        }

        /** Where checkpoints, the CSV log and the curves go; a run resumes from what it finds there. */
        public Builder setOutputDir(Path outputDir) {
            this.outputDir = outputDir;
            return this;
        }

        public Builder optConsole(PrintStream console) {
            this.console = console;
            return this;
        }

        /** Redraw the progress bar in place; by default only when standard output is a terminal. */
        public Builder optInteractive(boolean interactive) {
            this.interactive = interactive;
            return this;
        }

        /** Continue from the output directory's last checkpoint (default); false starts over and overwrites it. */
        public Builder optResume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /** Class names for the log's per-class columns. */
        public Builder optClassNames(List<String> classNames) {
            this.classNames = classNames;
            return this;
        }

        /** A fine-tuning method's additions to every training step (see {@link StepHook}). */
        public Builder optStepHook(StepHook hook) {
            this.stepHook = hook;
            return this;
        }

        /** Called after each epoch's checkpoint is written. */
        public Builder optEpochListener(Consumer<EpochRecord> onEpoch) {
            this.onEpoch = onEpoch;
            return this;
        }

        /**
         * What to minimise instead of the configured loss on the model's logits (say, distillation from a teacher);
         * validation still scores {@link Objective#logits} with the configured loss and metrics.
         */
        public Builder optObjective(Objective objective) {
            this.objective = objective;
            return this;
        }

        /**
         * More entries for every checkpoint's metadata, e.g. the settings of the command that trains, which a rerun
         * compares before it resumes; the checkpoint's own keys cannot be among them.
         */
        public Builder optMetadata(Map<String, String> metadata) {
            this.metadata = metadata;
            return this;
        }

        /**
         * How a step saves memory (see {@link StepMemory}): by default it frees intermediates and skips the graph of
         * frozen prefixes, which changes no number; checkpointing by module name is an option.
         */
        public Builder optMemory(StepMemory.Options memory) {
            this.memory = Objects.requireNonNull(memory, "memory");
            return this;
        }

        /**
         * Runs each batch's forward and backward in parts of at most {@code images} images whose gradients add up
         * (gradient accumulation), so a step holds one part's activations; 0 (the default) runs the whole batch at
         * once. The update is the whole batch's when the loss averages over images and no BatchNorm statistics train
         * (a parameter-efficient method with {@code bn_stats: frozen}); BatchNorm layers that train see each part's
         * statistics, and losses over the whole batch (Dice) are averaged over the parts, as in PyTorch.
         */
        public Builder optMicroBatch(int images) {
            if (images < 0) {
                throw new IllegalArgumentException("micro-batch must be 0 (off) or a number of images, got " + images);
            }
            this.microBatch = images;
            return this;
        }

        public Trainer build() {
            List<String> missing = new ArrayList<>();
            if (module == null) {
                missing.add("model (setModel)");
            }
            if (config == null) {
                missing.add("config (setConfig)");
            }
            if (trainData == null) {
                missing.add("training data (setTrainData)");
            }
            if (outputDir == null) {
                missing.add("output directory (setOutputDir)");
            }
            if (!missing.isEmpty()) {
                throw new IllegalStateException("the trainer needs " + String.join(", ", missing));
            }
            if (classNames != null && classNames.size() != config.numClasses()) {
                throw new IllegalArgumentException(classNames.size() + " class names for " + config.numClasses()
                        + " classes");
            }
            return new Trainer(this);
        }
    }
}
