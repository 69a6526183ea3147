package ai.peft4j.train.loop;

import ai.peft4j.train.report.EpochRecord;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Trainer#fit()} did.
 *
 * @param history every epoch of the run, those before a resume included
 * @param resumedFrom epochs already done when this process started (0 for a fresh run)
 * @param bestEpoch the epoch of the best checkpoint (1-based), 0 when no epoch was evaluated
 * @param meanStepSeconds mean wall time of a training step in this process (forward, backward, update)
 */
public record TrainingResult(List<EpochRecord> history, int resumedFrom, int bestEpoch, double bestScore,
        Path lastCheckpoint, Path bestCheckpoint, double meanStepSeconds) {}
