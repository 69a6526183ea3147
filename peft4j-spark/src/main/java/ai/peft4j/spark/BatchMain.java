package ai.peft4j.spark;

import ai.peft4j.app.Main;
import ai.peft4j.core.engine.EngineSetup;
import picocli.CommandLine;

/**
 * Entry point of {@code peft4j batch}: a main of its own, on a class path with Spark, so the rest of the command
 * line never loads (or ships) Spark. The launcher calls it for {@code ./peft4j batch ...}.
 */
public final class BatchMain {
    private BatchMain() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs {@code batch} with {@code args}; the exit code, as {@link Main#run}. */
    public static int run(String... args) {
        EngineSetup.configureOffline();
        // Spark's INFO lines would bury the one summary line; a cluster's own log settings still win.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "ai/peft4j/spark/log4j2-batch.properties");
        }
        CommandLine cli = new CommandLine(new BatchCommand());
        cli.setExecutionExceptionHandler(Main::handle);
        return cli.execute(args);
    }
}
