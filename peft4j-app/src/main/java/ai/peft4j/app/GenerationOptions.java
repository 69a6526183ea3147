package ai.peft4j.app;

import picocli.CommandLine.Option;

/** How eval and predict generate a detection model's answer (task: detection). */
final class GenerationOptions {
    @Option(names = "--beams", defaultValue = "3", paramLabel = "N", description = "task: detection: beams of "
            + "Florence-2's beam search (default: ${DEFAULT-VALUE}, as the published evaluation; 1 is greedy).")
    int beams;

    @Option(names = "--max-new-tokens", defaultValue = "1024", paramLabel = "N", description = "task: detection: "
            + "most tokens generated per image (default: ${DEFAULT-VALUE}, at most the model's text positions).")
    int maxNewTokens;

    DetectionRuns.Generation generation() {
        return new DetectionRuns.Generation(beams, maxNewTokens);
    }
}
